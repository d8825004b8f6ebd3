package mailproxy.lmtp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;

/**
 * A scripted LMTP backend (RFC 2033) that records what the proxy sent, byte for byte: the
 * command lines, and each message exactly as it came (still dot-stuffed, without the
 * final ".\r\n"). It answers RCPT from {@link #rcptReplies} (default 250) and, after the
 * message, one reply per accepted recipient naming the recipient and the backend, unless
 * {@link #failure} says to break off.
 */
public final class FakeLmtpBackend implements AutoCloseable {
    /** How the backend misbehaves, if at all. */
    enum Failure {
        NONE,
        /** Takes the whole message, then closes without a reply. */
        CLOSE_AFTER_MESSAGE,
        /** Answers for the first recipient after the message, then closes. */
        CLOSE_AFTER_FIRST_REPLY,
        /** Answers DATA with 451 (no 354). */
        REFUSE_DATA
    }

    final String name;
    public final List<String> received = new CopyOnWriteArrayList<>();
    /** The raw message bytes of each DATA, as the proxy sent them, without ".\r\n". */
    public final List<byte[]> messages = new CopyOnWriteArrayList<>();
    /** address → whole RCPT reply line; others get "250 2.1.5 Ok". */
    final Map<String, String> rcptReplies = new ConcurrentHashMap<>();
    volatile String mailReply = "250 2.1.0 Ok";
    volatile Failure failure = Failure.NONE;
    /** Connections that ended with the final "." never sent (an aborted message). */
    final List<String> aborted = new CopyOnWriteArrayList<>();
    private final ScriptedServer server;

    public FakeLmtpBackend(String name) throws IOException {
        this.name = name;
        this.server = new ScriptedServer(this::serve);
    }

    public int port() { return server.port(); }

    int connections() { return server.accepted(); }

    private void serve(RawClient peer) throws Exception {
        peer.timeout(20_000);
        InputStream in = peer.socket().getInputStream();
        peer.line("220 " + name + " LMTP ready");
        List<String> accepted = new ArrayList<>();
        while (true) {
            byte[] raw = rawLine(in);
            if (raw == null) return;
            String line = new String(raw, StandardCharsets.ISO_8859_1).replaceAll("\r\n$", "");
            received.add(line);
            String verb = line.split(" ")[0].toUpperCase();
            switch (verb) {
                case "LHLO" -> peer.send("250-" + name + "\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n");
                case "MAIL" -> {
                    accepted.clear();
                    peer.line(mailReply);
                }
                case "RCPT" -> {
                    String address = line.substring(line.indexOf('<') + 1, line.indexOf('>'));
                    String reply = rcptReplies.getOrDefault(address, "250 2.1.5 Ok");
                    if (reply.startsWith("2")) accepted.add(address);
                    peer.line(reply);
                }
                case "DATA" -> {
                    if (failure == Failure.REFUSE_DATA) {
                        peer.line("451 4.3.0 " + name + " cannot take data now");
                        continue;
                    }
                    peer.line("354 go ahead");
                    ByteArrayOutputStream message = new ByteArrayOutputStream();
                    while (true) {
                        byte[] l = rawLine(in);
                        if (l == null) {
                            aborted.add(message.toString(StandardCharsets.ISO_8859_1));
                            return;
                        }
                        if (new String(l, StandardCharsets.ISO_8859_1).equals(".\r\n")) break;
                        message.write(l);
                    }
                    messages.add(message.toByteArray());
                    if (failure == Failure.CLOSE_AFTER_MESSAGE) return;
                    for (int i = 0; i < accepted.size(); i++) {
                        if (failure == Failure.CLOSE_AFTER_FIRST_REPLY && i == 1) return;
                        peer.line("250 2.0.0 <" + accepted.get(i) + "> saved by " + name);
                    }
                }
                case "RSET" -> peer.line("250 2.0.0 Ok");
                case "QUIT" -> {
                    peer.line("221 2.0.0 Bye");
                    return;
                }
                default -> peer.line("500 5.5.2 what?");
            }
        }
    }

    /** One line with its line end, as sent; null at end of stream. */
    private static byte[] rawLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            int c;
            try {
                c = in.read();
            } catch (java.net.SocketException e) {
                c = -1;
            }
            if (c < 0) return b.size() == 0 ? null : b.toByteArray();
            b.write(c);
            if (c == '\n') return b.toByteArray();
        }
    }

    @Override
    public void close() throws Exception {
        server.close();
    }
}
