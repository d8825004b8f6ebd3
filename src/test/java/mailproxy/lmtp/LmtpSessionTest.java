package mailproxy.lmtp;

import mailproxy.session.Outcome;
import mailproxy.testing.FakeSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * LmtpSession alone, against a fake Session (RFC 2033): LMTP has no login; who may deliver
 * is lmtp-clients, and the recipients are routed through Session.backends(), which the
 * fake does not offer, so these dialogues stop short of RCPT.
 */
@Timeout(30)
class LmtpSessionTest {
    private static final String CLIENTS = ", lmtp-clients = [\"127.0.0.0/8\"]";

    @Test
    void greetingBadCommandsThen421AtMaxErrors() throws Exception {
        FakeSession.dialogue("lmtp", CLIENTS, LmtpSession::new, """
                S: 220 proxy.test LMTP ready
                C: NOOP
                S: 250 2.0.0 Ok
                C: EHLO client.test
                S: 500 5.5.1 Error: this is LMTP, use LHLO
                C: MAIL FROM:<a@b.test>
                S: 503 5.5.1 Error: send LHLO first
                C: FROB
                S: 500 5.5.2 Error: command not recognized
                S: 421 4.7.0 proxy.test Error: too many errors
                S closes
                """, Outcome.TOO_MANY_ERRORS);
    }

    @Test
    void aClientOutsideLmtpClientsGets421InsteadOfTheGreeting() throws Exception {
        FakeSession.dialogue("lmtp", ", lmtp-clients = [\"192.0.2.0/24\"]", LmtpSession::new, """
                S: 421 4.7.1 proxy.test Error: this address may not deliver here
                S closes
                """, Outcome.REJECTED);
    }

    @Test
    void quitAfterLhlo() throws Exception {
        FakeSession.dialogue("lmtp", CLIENTS, LmtpSession::new, """
                S: 220 proxy.test LMTP ready
                C: LHLO client.test
                S: 250-proxy.test
                S: 250-PIPELINING
                S: 250-ENHANCEDSTATUSCODES
                S: 250-8BITMIME
                S: 250 SIZE ...
                C: QUIT
                S: 221 2.0.0 Bye
                S closes
                """, Outcome.QUIT);
    }
}
