package mailproxy.pop3;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.List;
import mailproxy.session.Outcome;
import mailproxy.testing.FakeSession;
import mailproxy.testing.Sasl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Pop3Session alone, against a fake Session: the AUTHORIZATION state of RFC 1939 §4. */
@Timeout(30)
class Pop3SessionTest {

    @Test
    void greetingBadCommandsThenSilentCloseAtMaxErrors() throws Exception {
        FakeSession.dialogue("pop3", "", Pop3Session::new, """
                S: +OK proxy.test POP3 ready
                C: NOOP
                S: +OK
                C: STAT
                S: -ERR Unknown command or not allowed before login
                C: PASS x
                S: -ERR USER first
                C: FROB
                S: -ERR Unknown command or not allowed before login
                S closes
                """, Outcome.TOO_MANY_ERRORS);
    }

    @Test
    void userPassAndAuthAreHandedToTheSessionAndRefusalsCount() throws Exception {
        List<FakeSession.LoginCall> logins = FakeSession.dialogue("pop3", ", auth = [plain]", Pop3Session::new, """
                S: +OK proxy.test POP3 ready
                C: USER bob
                S: +OK
                C: PASS wrong1
                S: -ERR Invalid login or password
                C: AUTH PLAIN
                S: +\s
                C: %s
                S: -ERR Invalid login or password
                C: AUTH PLAIN *
                S: -ERR Invalid authentication data
                S closes
                """.formatted(Sasl.plain("bob", "wrong2")), Outcome.TOO_MANY_ERRORS);
        assertEquals(2, logins.size());
        assertAll(
                () -> assertEquals("wrong1", logins.get(0).credentials().secret()),
                () -> assertEquals("wrong2", logins.get(1).credentials().secret()),
                () -> assertNotNull(logins.get(1).challenger()),
                () -> assertInstanceOf(Pop3BackendLogin.class, logins.get(1).backend()));
    }

    @Test
    void quitEndsTheSession() throws Exception {
        FakeSession.dialogue("pop3", "", Pop3Session::new, """
                S: +OK proxy.test POP3 ready
                C: QUIT
                S: +OK proxy.test POP3 signing off
                S closes
                """, Outcome.QUIT);
    }
}
