package mailproxy.imap;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import mailproxy.session.Outcome;
import mailproxy.testing.FakeSession;
import mailproxy.testing.Sasl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** ImapSession alone, against a fake Session: the not-authenticated state of RFC 9051 §6.1, §6.2. */
@Timeout(30)
class ImapSessionTest {

    @Test
    void greetingBadCommandsThenByeAtMaxErrors() throws Exception {
        FakeSession.dialogue("imap", "", ImapSession::new, """
                S: * OK [CAPABILITY ...
                C: a1 NOOP
                S: a1 OK NOOP completed
                C: a2 FROB
                S: a2 BAD Unknown command
                C: a3 SELECT INBOX
                S: a3 BAD Log in first
                C: a4 LOGIN "" x
                S: a4 BAD Empty user name
                S: * BYE Too many invalid commands
                S closes
                """, Outcome.TOO_MANY_ERRORS);
    }

    @Test
    void loginAndAuthenticateAreHandedToTheSessionAndRefusalsCount() throws Exception {
        List<FakeSession.LoginCall> logins = FakeSession.dialogue("imap", ", auth = [plain]", ImapSession::new, """
                S: * OK [CAPABILITY ...
                C: a1 LOGIN bob wrong1
                S: a1 NO [AUTHENTICATIONFAILED] Invalid login or password
                C: a2 AUTHENTICATE PLAIN %s
                S: a2 NO [AUTHENTICATIONFAILED] Invalid login or password
                C: a3 AUTHENTICATE CRAM-MD5
                S: a3 NO Unsupported authentication mechanism
                S: * BYE Too many invalid commands
                S closes
                """.formatted(Sasl.plain("bob", "wrong2")), Outcome.TOO_MANY_ERRORS);
        assertEquals(2, logins.size());
        assertAll(
                () -> assertEquals("bob", logins.get(0).credentials().user()),
                () -> assertEquals("wrong1", logins.get(0).credentials().secret()),
                () -> assertNull(logins.get(0).challenger(), "LOGIN has no SASL exchange"),
                () -> assertEquals("wrong2", logins.get(1).credentials().secret()),
                () -> assertNotNull(logins.get(1).challenger(), "AUTHENTICATE's exchange, for RFC 7628's error challenge"),
                () -> assertInstanceOf(ImapBackendLogin.class, logins.get(1).backend()));
    }

    @Test
    void logoutEndsTheSession() throws Exception {
        FakeSession.dialogue("imap", "", ImapSession::new, """
                S: * OK [CAPABILITY ...
                C: a1 LOGOUT
                S: * BYE proxy.test logging out
                S: a1 OK LOGOUT completed
                S closes
                """, Outcome.LOGOUT);
    }
}
