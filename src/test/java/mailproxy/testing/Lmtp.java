package mailproxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A minimal LMTP client (RFC 2033) to deliver a message to the fixture Dovecot. */
final class Lmtp {
    private static final int TIMEOUT_MS = 10_000;
    private static final int MAX_LINE = 4096;

    private Lmtp() {}

    static void deliver(String host, int port, String rcpt, byte[] message) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), TIMEOUT_MS);
            s.setSoTimeout(TIMEOUT_MS);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            expect(in, "220", "greeting");
            command(in, out, "LHLO mailproxy.test", "250");
            command(in, out, "MAIL FROM:<>", "250");
            command(in, out, "RCPT TO:<" + rcpt + ">", "250");
            command(in, out, "DATA", "354");
            out.write(dotStuffed(message));
            out.flush();
            expect(in, "250", "end of data"); // one reply per accepted recipient: one here
            command(in, out, "QUIT", "221");
        }
    }

    private static void command(InputStream in, OutputStream out, String line, String code)
            throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        expect(in, code, line);
    }

    /** Reads one reply (all its "NNN-" lines) and checks its code. */
    private static void expect(InputStream in, String code, String after) throws IOException {
        String line;
        do {
            line = readLine(in);
            if (!line.startsWith(code)) {
                throw new IOException("LMTP: expected " + code + " after " + after + ", got: " + line);
            }
        } while (line.length() > 3 && line.charAt(3) == '-');
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0 || line.size() >= MAX_LINE) {
                throw new IOException("LMTP: connection closed or line too long: " + line);
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    /** RFC 5321 section 4.5.2: a leading "." gets doubled; ends with CRLF "." CRLF. */
    static byte[] dotStuffed(byte[] message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(message.length + 64);
        boolean lineStart = true;
        for (int i = 0; i < message.length; i++) {
            byte b = message[i];
            if (lineStart && b == '.') {
                out.write('.');
            }
            if (b == '\n' && (i == 0 || message[i - 1] != '\r')) {
                out.write('\r');
            }
            out.write(b);
            lineStart = b == '\n';
        }
        if (!lineStart) {
            out.write('\r');
            out.write('\n');
        }
        out.writeBytes(".\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
