package mailproxy.testing;

import java.util.Locale;

/**
 * The SMTP side of {@link FakeBackends}: Postfix's answers (RFC 5321, RFC 4954 PLAIN and
 * LOGIN, RFC 3207 STARTTLS, XCLIENT), each replaceable by {@link FakeBackend#override}.
 */
final class FakeSmtp {
    static final String EHLO_REPLY = "250-fake.backend\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
            + "250-XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME";
    static final String AUTH_OK = "235 2.7.0 Authentication successful";
    static final String AUTH_FAILED = FakeBackends.SMTP_REFUSED;

    private FakeSmtp() {}

    static void converse(FakeBackend b, RawClient peer) throws Exception {
        RawClient c = peer;
        boolean secure = false;
        String greeting = b.override("GREETING");
        c.line(greeting != null ? greeting : "220 fake.backend ESMTP");
        for (String line = c.readLine(); line != null; line = c.readLine()) {
            b.received(line);
            String verb = line.split(" ", 2)[0].toUpperCase(Locale.ROOT);
            String override = b.override(verb);
            if (override != null) {
                c.line(override);
                if (override.startsWith("421")) return;
                continue;
            }
            boolean tlsFirst = b.hasTls() && !secure;
            switch (verb) {
                case "EHLO" -> c.line(tlsFirst ? EHLO_REPLY.replaceFirst("\r\n", "\r\n250-STARTTLS\r\n") : EHLO_REPLY);
                case "STARTTLS" -> {
                    if (!tlsFirst) {
                        c.line("502 5.5.1 Error: command not implemented");
                        continue;
                    }
                    c.line("220 2.0.0 Ready to start TLS");
                    c = b.secure(c);
                    secure = true;
                }
                case "XCLIENT" -> c.line("220 fake.backend ESMTP");
                case "AUTH" -> c.line(tlsFirst ? "530 5.7.0 Must issue a STARTTLS command first" : auth(b, c, line));
                case "MAIL" -> c.line("250 2.1.0 Ok");
                case "RCPT" -> c.line("250 2.1.5 Ok");
                case "DATA" -> data(b, c);
                case "QUIT" -> {
                    c.line("221 2.0.0 Bye");
                    return;
                }
                case "RSET", "NOOP" -> c.line("250 2.0.0 Ok");
                default -> c.line("502 5.5.2 Error: command not recognized");
            }
        }
    }

    /** AUTH PLAIN with an initial response, or AUTH LOGIN's two challenges; the reply. */
    private static String auth(FakeBackend b, RawClient c, String line) throws Exception {
        String[] w = line.split(" ");
        if (w.length == 2 && w[1].equalsIgnoreCase("LOGIN")) {
            c.line("334 VXNlcm5hbWU6");
            String user = FakeBackends.unb64(received(b, c));
            c.line("334 UGFzc3dvcmQ6");
            return b.login(user, FakeBackends.unb64(received(b, c))) ? AUTH_OK : AUTH_FAILED;
        }
        String[] credentials = w.length == 3 ? FakeBackends.plain(w[2]) : null;
        return credentials != null && b.login(credentials[0], credentials[1]) ? AUTH_OK : AUTH_FAILED;
    }

    private static String received(FakeBackend b, RawClient c) throws Exception {
        String l = c.readLine();
        b.received(l);
        return l == null ? "" : l;
    }

    private static void data(FakeBackend b, RawClient c) throws Exception {
        c.line("354 End data with <CR><LF>.<CR><LF>");
        StringBuilder m = new StringBuilder();
        for (int i = 0; i < 100_000; i++) {
            String l = c.readLine();
            if (l == null || l.equals(".")) break;
            m.append(l.startsWith(".") ? l.substring(1) : l).append("\r\n");
        }
        b.message(m.toString());
        c.line("250 2.0.0 Ok: queued as FAKE1");
    }
}
