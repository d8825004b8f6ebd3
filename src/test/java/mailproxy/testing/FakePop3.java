package mailproxy.testing;

/**
 * The POP3 side of {@link FakeBackends}: Dovecot's answers (RFC 1939, RFC 2449 CAPA,
 * RFC 5034, XCLIENT).
 */
final class FakePop3 {
    /**
     * RFC 2449 §5: what the proxy asks before passing on a token login; no token mechanism
     * in the SASL line, so the proxy logs in with the token as the password.
     */
    static final String CAPA = "+OK\r\nUSER\r\nSASL PLAIN\r\n.";

    private FakePop3() {}

    static void converse(FakeBackend b, RawClient peer) throws Exception {
        RawClient c = b.hasTls() ? b.secure(peer) : peer;
        c.line("+OK fake pop3 ready.");
        String user = null;
        boolean in = false;
        for (String l = c.readLine(); l != null; l = c.readLine()) {
            b.received(l);
            if (in && (l.startsWith("USER ") || l.startsWith("PASS ") || l.startsWith("AUTH "))) {
                // a second login inside the session: taken, and (unlike the echo) never repeated,
                // since a trace of the relay shows the backend's lines as they are
                c.line("+OK");
            } else if (l.startsWith("USER ")) {
                user = l.substring(5);
                c.line("+OK");
            } else if (l.startsWith("PASS ")) {
                in = b.login(user, l.substring(5));
                c.line(in ? FakeBackends.POP3_LOGGED_IN : FakeBackends.POP3_REFUSED);
            } else if (l.startsWith("AUTH PLAIN")) {
                String response = l.length() > 11 ? l.substring(11) : challenge(c);
                String[] credentials = response == null ? null : FakeBackends.plain(response);
                in = credentials != null && b.login(credentials[0], credentials[1]);
                c.line(in ? FakeBackends.POP3_LOGGED_IN : FakeBackends.POP3_REFUSED);
            } else if (l.equals("CAPA")) {
                c.line(CAPA);
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
}
