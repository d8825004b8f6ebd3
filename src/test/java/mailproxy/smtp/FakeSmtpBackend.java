package mailproxy.smtp;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;

/**
 * A Postfix-like fake backend: records every line it gets, answers the usual way, takes
 * password "secret" for any user, and lets a test override the reply to any verb.
 */
final class FakeSmtpBackend implements AutoCloseable {
    static final String EHLO_REPLY = "250-fake.backend\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
            + "250-XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME";

    /** Every line received, over all connections, in order. */
    final List<String> received = new CopyOnWriteArrayList<>();
    /** Message bodies received after DATA (dot-unstuffed, CRLF line ends). */
    final List<String> messages = new CopyOnWriteArrayList<>();
    /** verb (upper case, e.g. "XCLIENT", "AUTH", "MAIL") → whole reply text without the final CRLF. */
    final Map<String, String> overrides = new ConcurrentHashMap<>();
    private final ScriptedServer server;

    FakeSmtpBackend() throws Exception {
        server = new ScriptedServer(this::serve);
    }

    int port() { return server.port(); }

    int connections() { return server.accepted(); }

    private void serve(RawClient peer) throws Exception {
        try {
            converse(peer);
        } catch (java.net.SocketException gone) {
            // the proxy (or close()) hung up: the end of this conversation, not a failure
        }
    }

    private void converse(RawClient peer) throws Exception {
        peer.timeout(10_000);
        peer.line(overrides.getOrDefault("GREETING", "220 fake.backend ESMTP"));
        int loginStep = 0;
        while (true) {
            String line = peer.readLine();
            if (line == null) return;
            received.add(line);
            if (loginStep == 1) {
                loginStep = 2;
                peer.line("334 UGFzc3dvcmQ6");
                continue;
            }
            if (loginStep == 2) {
                loginStep = 0;
                peer.line(SaslLike.decode(line).equals("secret") ? "235 2.7.0 Authentication successful"
                        : "535 5.7.8 Error: authentication failed: authentication failure");
                continue;
            }
            String verb = (line.contains(" ") ? line.substring(0, line.indexOf(' ')) : line).toUpperCase(Locale.ROOT);
            String override = overrides.get(verb);
            if (override != null) {
                peer.line(override);
                if (override.startsWith("421")) return;
                continue;
            }
            switch (verb) {
                case "EHLO" -> peer.line(EHLO_REPLY);
                case "XCLIENT" -> peer.line("220 fake.backend ESMTP");
                case "AUTH" -> {
                    String[] w = line.split(" ");
                    if (w[1].equalsIgnoreCase("LOGIN")) {
                        loginStep = 1;
                        peer.line("334 VXNlcm5hbWU6");
                    } else {
                        boolean ok = w.length == 3 && SaslLike.decode(w[2]).endsWith("\0secret");
                        peer.line(ok ? "235 2.7.0 Authentication successful"
                                : "535 5.7.8 Error: authentication failed: authentication failure");
                    }
                }
                case "MAIL" -> peer.line("250 2.1.0 Ok");
                case "RCPT" -> peer.line("250 2.1.5 Ok");
                case "DATA" -> {
                    peer.line("354 End data with <CR><LF>.<CR><LF>");
                    StringBuilder m = new StringBuilder();
                    for (int i = 0; i < 100_000; i++) {
                        String l = peer.readLine();
                        if (l == null || l.equals(".")) break;
                        m.append(l.startsWith(".") ? l.substring(1) : l).append("\r\n");
                    }
                    messages.add(m.toString());
                    peer.line("250 2.0.0 Ok: queued as FAKE1");
                }
                case "QUIT" -> {
                    peer.line("221 2.0.0 Bye");
                    return;
                }
                case "RSET", "NOOP" -> peer.line("250 2.0.0 Ok");
                default -> peer.line("502 5.5.2 Error: command not recognized");
            }
        }
    }

    /** The backend-side base64 decode (ISO-8859-1, one char per byte). */
    static final class SaslLike {
        static String decode(String b64) {
            return new String(java.util.Base64.getDecoder().decode(b64.trim()), java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }

    @Override
    public void close() throws Exception {
        server.close();
    }
}
