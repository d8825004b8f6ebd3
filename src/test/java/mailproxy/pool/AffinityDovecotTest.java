package mailproxy.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.time.Duration;
import java.util.List;
import mailproxy.testing.Await;
import mailproxy.testing.DovecotPair;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealDovecot;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 21's sequence against two real Dovecots (README, "Why a user stays on one server"):
 * bob's own server is down, he logs in on the other and keeps that session open; his server
 * comes back; his next login, IMAP or POP3, goes where his open session is, not where the
 * hash says now.
 */
@Timeout(120)
class AffinityDovecotTest {
    @RegisterExtension
    static final DovecotPair dovecots = DovecotPair.separate();

    private static TestProxy proxy() throws Exception {
        return TestProxy.start("""
                mailproxy {
                  limits { greeting-timeout = 1s, connect-timeout = 1s }
                  backends { stores {
                    servers = [ { host = "127.0.0.1", imap-port = %d, pop3-port = %d },
                                { host = "127.0.0.1", imap-port = %d, pop3-port = %d } ]
                    imap { port = 143 }
                    pop3 { port = 110 }
                    health { interval = 200ms, rise = 1, fall = 1, timeout = 1s }
                    max-fails = 1, fail-timeout = 1s
                  } }
                  routers { r { type = static, default = stores } }
                  listeners = [ { name = pop3, protocol = pop3, listen = "127.0.0.1:0" },
                                { name = imap, protocol = imap, listen = "127.0.0.1:0" } ]
                }""".formatted(dovecots.one().imapPort(), dovecots.one().pop3Port(), dovecots.two().imapPort(), dovecots.two().pop3Port()));
    }

    /** The server of the newest successful login in the audit. */
    private static RealDovecot lastLogin(LogCapture log, int before) {
        Await.until(Duration.ofSeconds(5), () -> DovecotPair.logins(log).size() > before);
        List<String> lines = DovecotPair.logins(log);
        return dovecots.serverOf(lines.get(lines.size() - 1));
    }

    /** C: USER/PASS/QUIT over POP3; the server that session went to. */
    private static RealDovecot pop3Login(TestProxy p, LogCapture log) throws Exception {
        int before = DovecotPair.logins(log).size();
        try (RawClient c = RawClient.connect(p.port("pop3"))) {
            c.expect("+OK");
            c.exchange("USER " + RealDovecot.BOB, "+OK", "PASS " + RealDovecot.BOB_PASSWORD, "+OK", "QUIT", "+OK");
        }
        return lastLogin(log, before);
    }

    @Test
    void aSecondLoginGoesToTheServerOfTheOpenSessionNotBackToTheHashsChoiceThatReturned() throws Exception {
        try (LogCapture log = new LogCapture(); TestProxy p = proxy()) {
            RealDovecot home = pop3Login(p, log);
            RealDovecot other = dovecots.other(home);
            // bob's own server goes down, and the health checks see it
            home.kill();
            RawClient held = null;
            try {
                // both of its protocols seen down (else its POP3 may never be marked down, nor up again)
                log.awaitLine(Duration.ofSeconds(10), "pool stores server 127.0.0.1:" + home.imapPort() + " imap down");
                log.awaitLine(Duration.ofSeconds(10), "pool stores server 127.0.0.1:" + home.pop3Port() + " pop3 down");
                // C: a LOGIN ... on the other server; the session stays open
                int before = DovecotPair.logins(log).size();
                held = RawClient.connect(p.port("imap"));
                held.expect("* OK");
                held.exchange("a LOGIN " + RealDovecot.BOB + " " + RealDovecot.BOB_PASSWORD, "a OK");
                assertEquals(other, lastLogin(log, before), "second choice while his server is down");
            } finally {
                home.restart();
            }
            try (RawClient open = held) {
                // the health checks see its POP3 up again: the hash would send bob's POP3 login home now
                log.awaitLine(Duration.ofSeconds(10), "pool stores server 127.0.0.1:" + home.pop3Port() + " pop3 up");
                assertEquals(other, pop3Login(p, log), "bob's POP3 login joins his open IMAP session");
                open.exchange("b NOOP", "b OK");
            }
            // idle now, but not for affinity-ttl (15m): he stays where he is rather than flap back
            assertEquals(other, pop3Login(p, log));
            assertNotEquals(home, other);
        }
    }
}
