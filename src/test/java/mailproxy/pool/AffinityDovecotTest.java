package mailproxy.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mailproxy.testing.Await;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealDovecot;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 21's sequence against two real Dovecots (README, "Why a user stays on one server"):
 * bob's own server is down, he logs in on the other and keeps that session open; his server
 * comes back; his next login, IMAP or POP3, goes where his open session is, not where the
 * hash says now.
 */
@Timeout(120)
class AffinityDovecotTest {
    private static final Pattern BACKEND = Pattern.compile("backend=(\\S+)");
    private static RealDovecot one;
    private static RealDovecot two;

    @BeforeAll
    static void servers() throws IOException {
        one = RealDovecot.startExtra("");
        two = RealDovecot.startExtra("");
    }

    @AfterAll
    static void stop() {
        if (one != null) one.close();
        if (two != null) two.close();
    }

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
                }""".formatted(one.imapPort(), one.pop3Port(), two.imapPort(), two.pop3Port()));
    }

    /** Which of the two Dovecots a "backend=host:port" names (its IMAP or its POP3 port). */
    private static RealDovecot serverOf(String line) {
        Matcher m = BACKEND.matcher(line);
        assertTrue(m.find(), line);
        int port = Integer.parseInt(m.group(1).substring(m.group(1).lastIndexOf(':') + 1));
        if (port == one.imapPort() || port == one.pop3Port()) return one;
        if (port == two.imapPort() || port == two.pop3Port()) return two;
        throw new AssertionError("not one of the two Dovecots: " + line);
    }

    private static List<String> auditLines(LogCapture log) {
        List<String> out = new ArrayList<>();
        for (String l : log.text().split("\n")) if (l.contains("verdict=ok") && l.contains("result=success")) out.add(l);
        return out;
    }

    /** The server of the newest successful login in the audit. */
    private static RealDovecot lastLogin(LogCapture log, int before) {
        Await.until(Duration.ofSeconds(5), () -> auditLines(log).size() > before);
        List<String> lines = auditLines(log);
        return serverOf(lines.get(lines.size() - 1));
    }

    /** C: USER/PASS/QUIT over POP3; the server that session went to. */
    private static RealDovecot pop3Login(TestProxy p, LogCapture log) throws Exception {
        int before = auditLines(log).size();
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
            RealDovecot other = home == one ? two : one;
            // bob's own server goes down, and the health checks see it
            home.kill();
            RawClient held = null;
            try {
                // both of its protocols seen down (else its POP3 may never be marked down, nor up again)
                log.awaitLine(Duration.ofSeconds(10), "pool stores server 127.0.0.1:" + home.imapPort() + " imap down");
                log.awaitLine(Duration.ofSeconds(10), "pool stores server 127.0.0.1:" + home.pop3Port() + " pop3 down");
                // C: a LOGIN ... on the other server; the session stays open
                int before = auditLines(log).size();
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
