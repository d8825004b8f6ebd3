package mailproxy.testing;

/** The POP3 side of {@link FakeBackends}: Dovecot's answers (RFC 1939, RFC 5034, XCLIENT). */
final class FakePop3 {
    private FakePop3() {}

    static void converse(FakeBackend b, RawClient peer) throws Exception {
        RawClient c = b.hasTls() ? b.secure(peer) : peer;
        c.line("+OK fake pop3 ready.");
        String user = null;
        for (String l = c.readLine(); l != null; l = c.readLine()) {
            b.received(l);
            if (l.startsWith("USER ")) {
                user = l.substring(5);
                c.line("+OK");
            } else if (l.startsWith("PASS ")) {
                c.line(loginReply(b, user, l.substring(5)));
            } else if (l.startsWith("AUTH PLAIN")) {
                String response = l.length() > 11 ? l.substring(11) : challenge(c);
                String[] credentials = response == null ? null : FakeBackends.plain(response);
                c.line(credentials == null ? FakeBackends.POP3_REFUSED : loginReply(b, credentials[0], credentials[1]));
            } else if (l.equals("QUIT")) {
                c.line("+OK Logging out.");
                return;
            } else if (l.equals("CLOSE-NOW")) {
                return;
            } else if (l.startsWith("XCLIENT ")) {
                c.line("+OK");
            } else {
                c.line("+OK echo " + l);
            }
        }
    }

    private static String challenge(RawClient c) throws Exception {
        c.line("+ ");
        return c.readLine();
    }

    private static String loginReply(FakeBackend b, String user, String password) {
        return b.login(user, password) ? FakeBackends.POP3_LOGGED_IN : FakeBackends.POP3_REFUSED;
    }
}
