package mailproxy.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.LogCapture;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 10,000 sessions one after another, every way a session ends (quit before login, a failed
 * login, a relayed login and logout, a reset before login and in the relay) over the three
 * protocols, leave the process as they found it: as many open descriptors and platform
 * threads (small slack), no live session, one log line each. The guard's per-address and
 * per-user limits are on, so a permit that leaked would soon refuse a session.
 */
@Timeout(240)
class ManySessionsTest {
    private static final int SESSIONS = 10_000;
    private static final int WARM_UP = 300;
    private static final String[] PROTOCOLS = {"imap", "pop3", "smtp"};

    @Test
    void tenThousandSessionsLeaveNothingBehind() throws Exception {
        String keys = """
                guard { max-connections-per-ip = 50, max-sessions-per-user = 20, auth-delay = 0s, block-after = 0 }
                """;
        try (FakeBackends.Trio mail = FakeBackends.trio(Map.of("bob", "secret"));
             LogCapture log = new LogCapture();
             TestProxy p = Probes.proxy(mail, keys)) {
            for (int i = 0; i < WARM_UP; i++) session(p, i);
            Probes.awaitNoSessions(p, Duration.ofSeconds(20));
            long fds = Probes.openFds();
            int threads = Probes.platformThreads();

            for (int i = 0; i < SESSIONS; i++) session(p, i);

            Probes.awaitNoSessions(p, Duration.ofSeconds(20));
            Probes.awaitFdsAtMost(fds + 10, fds, Duration.ofSeconds(10));
            int threadsAfter = Probes.platformThreads();
            assertTrue(threadsAfter <= threads + 4, "platform threads before " + threads + ", after " + threadsAfter);
            int total = 0;
            for (String protocol : PROTOCOLS) total += Probes.sessionLines(log.text(), protocol);
            assertEquals(WARM_UP + SESSIONS, total, "one log line per session");
            assertEquals(0, Probes.count(log.text(), "outcome=too-many-"), "no session refused by a leaked permit");
            assertEquals(List.of(), Probes.bugLines(log.text()));
        }
    }

    /** Session {@code i}: protocol and ending chosen by its number. */
    private static void session(TestProxy p, int i) throws IOException {
        String protocol = PROTOCOLS[i % 3];
        try (Dialogue d = Dialogue.open(protocol, "127.0.0.2", p.address(protocol))) {
            switch ((i / 3) % 5) {
                case 0 -> d.logout(); // quit before login
                case 1 -> {
                    d.assertRefused("bob", "wrong-" + i);
                    d.logout();
                }
                case 2 -> {
                    assertTrue(Dialogue.success(protocol, d.login("bob", "secret")), "relayed login " + i);
                    d.logout(); // the backend answers and closes
                }
                case 3 -> d.client.socket().setSoLinger(true, 0); // reset before login
                default -> {
                    assertTrue(Dialogue.success(protocol, d.login("bob", "secret")), "relayed login " + i);
                    d.client.socket().setSoLinger(true, 0); // reset in the relay
                }
            }
        }
    }
}
