package mailproxy.smtp;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import mailproxy.session.Outcome;
import mailproxy.testing.FakeSession;
import mailproxy.testing.Sasl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** SmtpSession alone, against a fake Session: submission before AUTH (RFC 5321, RFC 4954). */
@Timeout(30)
class SmtpSessionTest {

    @Test
    void greetingBadCommandsThen421AtMaxErrors() throws Exception {
        FakeSession.dialogue("smtp", "", SmtpSession::new, """
                S: 220 proxy.test ESMTP ready
                C: NOOP
                S: 250 2.0.0 Ok
                C: FROB
                S: 500 5.5.2 Error: command not recognized
                C: EHLO client.test
                S: 250-proxy.test
                S: 250-PIPELINING
                S: 250-SIZE...
                S: 250-8BITMIME
                S: 250-ENHANCEDSTATUSCODES
                S: 250 ...
                C: MAIL FROM:<a@b.test>
                S: 530 5.7.0 Authentication required
                C: DATA
                S: 530 5.7.0 Authentication required
                S: 421 4.7.0 proxy.test Error: too many errors
                S closes
                """, Outcome.TOO_MANY_ERRORS);
    }

    @Test
    void authIsHandedToTheSessionAndRefusalsCount() throws Exception {
        List<FakeSession.LoginCall> logins = FakeSession.dialogue("smtp", ", auth = [plain]", SmtpSession::new, """
                S: 220 proxy.test ESMTP ready
                C: AUTH PLAIN %1$s
                S: 503 5.5.1 Error: send HELO/EHLO first
                C: HELO client.test
                S: 250 proxy.test
                C: AUTH PLAIN %1$s
                S: 535 5.7.8 Invalid login or password
                C: AUTH PLAIN *
                S: 501 5.5.2 Cannot decode authentication data
                S: 421 4.7.0 proxy.test Error: too many errors
                S closes
                """.formatted(Sasl.plain("bob", "wrong1")), Outcome.TOO_MANY_ERRORS);
        assertEquals(1, logins.size());
        assertAll(
                () -> assertEquals("bob", logins.get(0).credentials().user()),
                () -> assertNull(logins.get(0).smtp(), "submission: no envelope facts"),
                () -> assertInstanceOf(SmtpBackendLogin.class, logins.get(0).backend()));
    }
}
