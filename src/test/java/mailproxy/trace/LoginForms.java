package mailproxy.trace;

import mailproxy.sasl.OAuth;
import mailproxy.testing.RawClient;
import mailproxy.testing.Sasl;

/** The shapes of {@link TraceRedactionTableTest}'s table: a case, its dialogue, and the strings logins are made of. */
final class LoginForms {
    private LoginForms() {}

    /** One client dialogue: logs in as user with password, maybe sends more in the relay. */
    @FunctionalInterface
    interface Dialogue {
        void run(RawClient c, String user, String password) throws Exception;
    }

    /** A row of the table: the listener it runs on (protocol-backend), its name, its dialogue. */
    record Case(String listener, String name, Dialogue dialogue) {}

    /** Waits for the greeting, then each line and the start of its reply ({@link RawClient#exchange}). */
    static void greeted(RawClient c, String greeting, String... lineThenReply) throws Exception {
        c.expect(greeting);
        c.exchange(lineThenReply);
    }

    /** The timestamp APOP digests are made with (the proxy offers no APOP here: the digest is refused, but traced). */
    static final String APOP_TIMESTAMP = "<1.2@trace.test>";

    /** A synchronizing literal's announcement for s (RFC 9051 §4.3). */
    static String lit(String s) { return "{" + s.length() + "}"; }

    /** A non-synchronizing one (RFC 7888). */
    static String litPlus(String s) { return "{" + s.length() + "+}"; }

    static String xoauth2(String u, String p) { return Sasl.b64(OAuth.xoauth2Message(u, p)); }

    static String oauthbearer(String u, String p) { return Sasl.b64(OAuth.oauthbearerMessage(u, p)); }
}
