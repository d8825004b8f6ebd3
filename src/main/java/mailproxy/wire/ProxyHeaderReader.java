package mailproxy.wire;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import mailproxy.wire.ProxyHeader.Command;
import mailproxy.wire.ProxyHeader.Transport;

/**
 * Parses one PROXY protocol header (HAProxy's proxy-protocol.txt) straight off a socket's
 * stream. Version 1 is read one byte at a time up to its CRLF; version 2 by its length
 * field: either way not one byte past the header, so whatever follows (a TLS ClientHello,
 * a pipelined command) is still unread.
 */
final class ProxyHeaderReader {
    /** §2.1: the longest v1 line, CRLF included ("PROXY UNKNOWN" with two IPv6 addresses). */
    static final int V1_MAX = 107;
    /** §2.2: the v2 signature, which cannot start a v1 line, an SMTP/IMAP/POP3 command or TLS. */
    static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    private final InputStream in;
    private final Socket timeoutOn;
    private final Duration deadline;
    private final long end;

    /** @param timeoutOn the socket whose SO_TIMEOUT bounds each read of {@code in}; null in tests on a stream */
    ProxyHeaderReader(InputStream in, Socket timeoutOn, Duration deadline) {
        if (deadline.isNegative() || deadline.isZero()) throw new IllegalArgumentException("deadline must be positive");
        this.in = in;
        this.timeoutOn = timeoutOn;
        this.deadline = deadline;
        this.end = System.nanoTime() + deadline.toNanos();
    }

    ProxyHeader read() throws IOException {
        byte[] first = new byte[1];
        fill(first, 0, 1, 0);
        if (first[0] == 'P') return v1();
        if (first[0] == V2_SIGNATURE[0]) return v2();
        throw new ProxyHeaderException(String.format("no PROXY header: first byte 0x%02x", first[0] & 0xff));
    }

    // ------------------------------------------------------------------ version 1

    private ProxyHeader v1() throws IOException {
        byte[] line = new byte[V1_MAX];
        line[0] = 'P';
        int n = 1;
        while (true) {
            if (n == V1_MAX) throw bad("no CRLF within " + V1_MAX + " bytes", line, n);
            fill(line, n, 1, n);
            byte b = line[n++];
            if (n <= 6 && b != "PROXY ".charAt(n - 1)) throw bad("not a PROXY v1 line", line, n);
            if (b == '\n') {
                // §2.1: "must not tolerate a single CR or LF character to end the line"
                if (line[n - 2] != '\r') throw bad("bare LF in the PROXY v1 line", line, n);
                return parseV1(new String(line, 0, n - 2, StandardCharsets.ISO_8859_1));
            }
            if (n >= 2 && line[n - 2] == '\r') throw bad("bare CR in the PROXY v1 line", line, n);
        }
    }

    /** "PROXY TCP4 src dst sport dport" with exactly one space between fields (§2.1). */
    static ProxyHeader parseV1(String line) throws ProxyHeaderException {
        String[] f = line.split(" ", -1);
        if (f.length >= 2 && f[0].equals("PROXY") && f[1].equals("UNKNOWN")) {
            // §2.1: for UNKNOWN "the receiver must ignore anything presented before the CRLF"
            return new ProxyHeader(Command.PROXY, Transport.UNKNOWN, null, null);
        }
        if (f.length != 6 || !f[0].equals("PROXY")) throw bad("malformed PROXY v1 line", line);
        boolean v4 = f[1].equals("TCP4");
        if (!v4 && !f[1].equals("TCP6")) throw bad("unknown PROXY v1 protocol", line);
        byte[] src = v4 ? IpText.v4(f[2]) : v6Only(f[2]);
        byte[] dst = v4 ? IpText.v4(f[3]) : v6Only(f[3]);
        if (src == null || dst == null) throw bad("bad " + f[1] + " address in PROXY v1 line", line);
        int sport = port(f[4]);
        int dport = port(f[5]);
        if (sport < 0 || dport < 0) throw bad("bad port in PROXY v1 line", line);
        return new ProxyHeader(Command.PROXY, v4 ? Transport.TCP4 : Transport.TCP6, address(src, sport), address(dst, dport));
    }

    private static byte[] v6Only(String s) {
        return s.indexOf(':') >= 0 ? IpText.v6(s) : null;
    }

    /** §2.1: decimal 0..65535, no leading zeros. */
    private static int port(String s) {
        if (s.isEmpty() || s.length() > 5 || (s.length() > 1 && s.charAt(0) == '0')) return -1;
        int v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') return -1;
            v = v * 10 + (c - '0');
        }
        return v <= 65535 ? v : -1;
    }

    // ------------------------------------------------------------------ version 2

    private ProxyHeader v2() throws IOException {
        byte[] h = new byte[16];
        h[0] = V2_SIGNATURE[0];
        fill(h, 1, 15, 1);
        for (int i = 0; i < V2_SIGNATURE.length; i++) {
            if (h[i] != V2_SIGNATURE[i]) throw new ProxyHeaderException("no PROXY header: wrong v2 signature");
        }
        int verCmd = h[12] & 0xff;
        int family = h[13] & 0xff;
        int length = ((h[14] & 0xff) << 8) | (h[15] & 0xff);
        // §2.2: version must be 2; commands other than LOCAL and PROXY "must" drop the connection
        if (verCmd >> 4 != 2) throw new ProxyHeaderException(String.format("unsupported PROXY version byte 0x%02x", verCmd));
        Command command = switch (verCmd & 0x0f) {
            case 0 -> Command.LOCAL;
            case 1 -> Command.PROXY;
            default -> throw new ProxyHeaderException(String.format("unknown PROXY v2 command byte 0x%02x", verCmd));
        };
        int need = command == Command.LOCAL ? 0 : addressLength(family);
        if (length < need) {
            throw new ProxyHeaderException(String.format("PROXY v2 address block of %d bytes is too short for family 0x%02x (needs %d)",
                    length, family, need));
        }
        byte[] body = new byte[length];
        fill(body, 0, length, 16);
        // §2.2 LOCAL: "discard the protocol block including the family"; UNSPEC: "ignore
        // address information". Neither says where TLVs would start, so nothing more is read.
        if (command == Command.LOCAL) return new ProxyHeader(Command.LOCAL, Transport.UNKNOWN, null, null);
        if (family == 0x00) return new ProxyHeader(Command.PROXY, Transport.UNKNOWN, null, null);
        checkTlvs(body, need);
        if (family == 0x11) {
            return new ProxyHeader(Command.PROXY, Transport.TCP4,
                    address(slice(body, 0, 4), u16(body, 8)), address(slice(body, 4, 4), u16(body, 10)));
        }
        if (family == 0x21) {
            return new ProxyHeader(Command.PROXY, Transport.TCP6,
                    address(slice(body, 0, 16), u16(body, 32)), address(slice(body, 16, 16), u16(body, 34)));
        }
        // UDP over IPv4/IPv6, unix stream/datagram: valid, but no TCP client address to use
        return new ProxyHeader(Command.PROXY, Transport.UNKNOWN, null, null);
    }

    /** §2.2: the address block each family/protocol byte needs; others "must be rejected". */
    private static int addressLength(int family) throws ProxyHeaderException {
        return switch (family) {
            case 0x00 -> 0;
            case 0x11, 0x12 -> 12;
            case 0x21, 0x22 -> 36;
            case 0x31, 0x32 -> 216;
            default -> throw new ProxyHeaderException(String.format("unknown PROXY v2 family/protocol byte 0x%02x", family));
        };
    }

    /**
     * §2.2: after the addresses come TLVs (type, 2-byte length, value). None is used here;
     * each is only bounds-checked, so a header whose lengths do not add up is refused
     * rather than half-trusted.
     */
    private static void checkTlvs(byte[] body, int from) throws ProxyHeaderException {
        int at = from;
        while (at < body.length) { // each turn moves on by 3 bytes or more
            if (body.length - at < 3) throw new ProxyHeaderException("PROXY v2 TLV cut short");
            int len = u16(body, at + 1);
            if (len > body.length - at - 3) throw new ProxyHeaderException("PROXY v2 TLV overruns the header");
            at += 3 + len;
        }
    }

    // ------------------------------------------------------------------ reading

    /**
     * Reads exactly {@code len} bytes into {@code b}, each read bounded by the time left
     * before the deadline, so a sender trickling one byte at a time gets no longer than
     * the deadline in all. {@code got} is how much of the header had come, for the message.
     */
    private void fill(byte[] b, int off, int len, int got) throws IOException {
        int done = 0;
        while (done < len) {
            long left = end - System.nanoTime();
            if (left <= 0) throw timedOut();
            if (timeoutOn != null) timeoutOn.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, (left + 999_999) / 1_000_000)));
            int n;
            try {
                n = in.read(b, off + done, len - done);
            } catch (SocketTimeoutException e) {
                throw timedOut();
            }
            if (n < 0) {
                throw new ProxyHeaderException(got + done == 0 ? "connection closed before the PROXY header"
                        : "connection closed inside the PROXY header after " + (got + done) + " bytes");
            }
            done += n;
        }
    }

    private ProxyHeaderException timedOut() {
        return new ProxyHeaderException("no complete PROXY header within " + deadline.toMillis() + "ms");
    }

    private static ProxyHeaderException bad(String reason, byte[] line, int n) {
        return bad(reason, new String(line, 0, n, StandardCharsets.ISO_8859_1));
    }

    private static ProxyHeaderException bad(String reason, String line) {
        return new ProxyHeaderException(reason + ": " + LogSafe.text(line));
    }

    private static InetSocketAddress address(byte[] ip, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 4 or 16 bytes: cannot happen
        }
    }

    private static byte[] slice(byte[] b, int from, int len) {
        return java.util.Arrays.copyOfRange(b, from, from + len);
    }

    private static int u16(byte[] b, int at) {
        return ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
    }
}
