package mailproxy.ops;

import java.io.IOException;
import mailproxy.testing.RawClient;

/**
 * The IMAP dialogue the tests of this package hold a proxy to: alice logs in, through the
 * proxy, to a {@code FakeBackends.imap().password("secret")} backend, and logs out.
 */
final class AliceLogin {
    static final String LOGIN = """
            S: * OK ...
            C: a LOGIN alice secret
            S: a OK ...
            """;
    static final String LOGOUT = """
            C: b LOGOUT
            S: * BYE fake logging out
            S: b OK LOGOUT completed
            """;

    private AliceLogin() {}

    /** Greeted, logged in and out on {@code c}. */
    static void loginAndLogout(RawClient c) throws IOException {
        c.transcript(LOGIN + LOGOUT);
    }

    /** A client of {@code port}, greeted, logged in and out. */
    static void loginAndLogout(int port) throws IOException {
        try (RawClient c = RawClient.connect(port)) {
            loginAndLogout(c);
        }
    }
}
