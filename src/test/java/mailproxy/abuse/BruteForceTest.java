package mailproxy.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import mailproxy.testing.Await;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Password guessing from one address (the client socket bound to 127.0.0.x) against the
 * guard of one proxy: failed logins are answered ever later (auth-delay doubling up to
 * auth-max-delay), then the address is blocked (the protocol's failure, then close) while
 * another address logs in; one stale password retried counts once; trusted-networks are
 * exempt; max-connections-per-ip refuses with each protocol's words. Delays are the
 * throttle's behaviour: each is asserted to be at least the configured one, with seconds
 * of slack above it.
 */
@Timeout(90)
class BruteForceTest {
    private static final Map<String, String> USERS = Map.of("bob", "secret", "carol", "carols-secret");
    /** A reply comes at least this long after its configured delay... */
    private static final long EARLY_MS = 10;
    /** ...and at most this long after it (a loaded CI machine). */
    private static final long LATE_MS = 2500;

    private static final String THROTTLE = """
            limits { max-errors = 30 }
            guard { auth-delay = 200ms, auth-max-delay = 1s, block-after = 6, window = 1m, block-time = 1m,
                    max-connections-per-ip = 0, max-sessions-per-user = 0 }
            """;

    @Test
    void failedLoginsGetSlowerThenTheAddressIsBlockedWhileAnotherLogsIn() throws Exception {
        try (FakeBackends.Trio mail = FakeBackends.trio(USERS); LogCapture log = new LogCapture(); TestProxy p = Probes.proxy(mail, THROTTLE)) {
            long[] expected = {200, 400, 800, 1000, 1000, 1000};
            try (Dialogue attacker = Dialogue.open("pop3", "127.0.0.2", p.address("pop3"))) {
                for (int i = 0; i < expected.length; i++) {
                    attacker.assertRefused("bob", "guess-" + i);
                    assertDelay(expected[i], attacker.lastReplyMillis, "failure " + (i + 1));
                }
                // the sixth failure blocked the address: even the right password is refused now
                attacker.assertBlocked("bob", "secret");
            }
            try (Dialogue again = Dialogue.open("pop3", "127.0.0.2", p.address("pop3"))) {
                again.assertBlocked("carol", "carols-secret");
            }
            // meanwhile another address is served as usual, the same user included
            try (Dialogue other = Dialogue.open("pop3", "127.0.0.3", p.address("pop3"))) {
                assertTrue(Dialogue.success("pop3", other.login("bob", "secret")), "127.0.0.3 logs in");
                other.logout();
            }
            try (Dialogue other = Dialogue.open("imap", "127.0.0.3", p.address("imap"))) {
                assertTrue(Dialogue.success("imap", other.login("carol", "carols-secret")), "127.0.0.3 logs in over IMAP");
                other.logout();
            }
            log.awaitLine(Duration.ofSeconds(5), "blocking 127.0.0.2", "6 failed logins");
            assertEquals(1, Probes.count(log.text(), "blocking 127.0.0.2"), "one log line for the block");
            assertTrue(Probes.count(log.text(), "outcome=blocked") >= 2, log.text());
        }
    }

    @Test
    void theSameWrongPasswordRetriedCountsOnce() throws Exception {
        try (FakeBackends.Trio mail = FakeBackends.trio(USERS); TestProxy p = Probes.proxy(mail, THROTTLE)) {
            try (Dialogue stale = Dialogue.open("imap", "127.0.0.4", p.address("imap"))) {
                long total = 0;
                // more tries than block-after: a phone retrying an old password is not an attacker
                for (int i = 0; i < 8; i++) {
                    stale.assertRefused("bob", "last-years-password");
                    assertDelay(200, stale.lastReplyMillis, "retry " + (i + 1));
                    total += stale.lastReplyMillis;
                }
                // escalating, these would take 200+400+800+1000*5 = 6.4 s and end in a block
                assertTrue(total < 8 * 200 + LATE_MS, "the same password does not escalate: " + total + " ms for 8");
                // a new wrong password counts again: second distinct failure, second step
                stale.assertRefused("bob", "another-guess");
                assertDelay(400, stale.lastReplyMillis, "a new wrong password");
                assertTrue(Dialogue.success("imap", stale.login("bob", "secret")));
            }
        }
    }

    @Test
    void trustedNetworksAreNeitherDelayedNorBlocked() throws Exception {
        String keys = """
                limits { max-errors = 30 }
                guard { auth-delay = 200ms, auth-max-delay = 1s, block-after = 3, window = 1m, block-time = 1m,
                        max-connections-per-ip = 1, trusted-networks = ["127.0.0.5"] }
                """;
        try (FakeBackends.Trio mail = FakeBackends.trio(USERS); TestProxy p = Probes.proxy(mail, keys)) {
            try (Dialogue webmail = Dialogue.open("smtp", "127.0.0.5", p.address("smtp"));
                 Dialogue second = Dialogue.open("smtp", "127.0.0.5", p.address("smtp"))) {
                long total = 0;
                for (int i = 0; i < 8; i++) {
                    webmail.assertRefused("bob", "typo-" + i);
                    total += webmail.lastReplyMillis;
                }
                // throttled, the first three alone would take 200+400+800 ms, and the fourth be blocked
                assertTrue(total < 1400, "trusted failures are not delayed: " + total + " ms for 8");
                assertTrue(Dialogue.success("smtp", webmail.login("bob", "secret")), "not blocked past block-after");
                assertTrue(Dialogue.success("smtp", second.login("carol", "carols-secret")), "past max-connections-per-ip too");
            }
            // the same settings hold for an address outside trusted-networks
            try (Dialogue outsider = Dialogue.open("smtp", "127.0.0.6", p.address("smtp"))) {
                for (int i = 0; i < 3; i++) outsider.assertRefused("bob", "guess-" + i);
                outsider.assertBlocked("bob", "secret");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"imap", "pop3", "smtp"})
    void aBlockedAddressGetsTheProtocolsFailureAndIsClosed(String protocol) throws Exception {
        String keys = """
                limits { max-errors = 30 }
                guard { auth-delay = 0s, block-after = 3, window = 1m, block-time = 1m, max-connections-per-ip = 0 }
                """;
        try (FakeBackends.Trio mail = FakeBackends.trio(USERS); TestProxy p = Probes.proxy(mail, keys)) {
            try (Dialogue d = Dialogue.open(protocol, "127.0.0.2", p.address(protocol))) {
                for (int i = 0; i < 3; i++) d.assertRefused("bob", "guess-" + i);
                d.assertBlocked("bob", "secret");
            }
            try (Dialogue other = Dialogue.open(protocol, "127.0.0.3", p.address(protocol))) {
                assertTrue(Dialogue.success(protocol, other.login("bob", "secret")));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"imap", "pop3", "smtp"})
    void maxConnectionsPerIpRefusesWithTheProtocolsWordsAndCloses(String protocol) throws Exception {
        String keys = "guard { max-connections-per-ip = 2, auth-delay = 0s, block-after = 0 }";
        String refusal = switch (protocol) {
            case "imap" -> "* BYE [UNAVAILABLE] Too many connections from your address";
            case "pop3" -> "-ERR [IN-USE] Too many connections from your address";
            default -> "421 4.7.0 localhost Too many connections from your address";
        };
        try (FakeBackends.Trio mail = FakeBackends.trio(USERS); TestProxy p = Probes.proxy(mail, keys)) {
            try (Dialogue first = Dialogue.open(protocol, "127.0.0.7", p.address(protocol))) {
                try (Dialogue second = Dialogue.open(protocol, "127.0.0.7", p.address(protocol));
                     RawClient third = Probes.connectFrom("127.0.0.7", p.address(protocol))) {
                    assertEquals(refusal, third.readLine());
                    assertTrue(third.closedByPeer(), "closed after the refusal");
                    // another address is not affected
                    Dialogue.open(protocol, "127.0.0.8", p.address(protocol)).close();
                    assertTrue(Dialogue.success(protocol, second.login("bob", "secret")));
                }
                // one of the two ended: its place is free again
                awaitSessionsAtMost(p, 1);
                try (Dialogue again = Dialogue.open(protocol, "127.0.0.7", p.address(protocol))) {
                    assertTrue(Dialogue.success(protocol, again.login("carol", "carols-secret")));
                }
            }
        }
    }

    private static void awaitSessionsAtMost(TestProxy p, int n) throws InterruptedException {
        Await.until(Duration.ofSeconds(10), () -> p.activeSessions() <= n);
        assertTrue(p.activeSessions() <= n, "sessions " + p.activeSessions());
    }

    private static void assertDelay(long expectedMs, long actualMs, String what) {
        assertTrue(actualMs >= expectedMs - EARLY_MS && actualMs <= expectedMs + LATE_MS,
                what + ": reply after " + actualMs + " ms, configured delay " + expectedMs + " ms");
    }
}
