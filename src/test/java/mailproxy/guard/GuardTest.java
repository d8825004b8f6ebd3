package mailproxy.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import mailproxy.config.GuardConfig;
import mailproxy.config.Protocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The throttle and the limits on the in-process state, with a clock moved by hand. */
class GuardTest {
    private final TestClock clock = new TestClock();
    private final List<Guard> guards = new ArrayList<>();

    private Guard guard(String keys) {
        GuardConfig c = GuardConfigs.of(keys);
        Guard g = new Guard(c, new LocalState(clock, c.state().localMaxKeys()), false);
        guards.add(g);
        return g;
    }

    @AfterEach
    void close() {
        guards.forEach(Guard::close);
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    private static long seconds(Duration d) {
        return d.toSeconds();
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        GuardConfig c = GuardConfigs.of("");
        assertEquals(1000, c.maxConnectionsPerIp());
        assertEquals(20, c.maxSessionsPerUser());
        assertEquals(10, c.maxSessionsPerUserIp());
        assertEquals(64, c.ipv6Prefix());
        assertEquals(Duration.ofSeconds(2), c.authDelay());
        assertEquals(Duration.ofSeconds(15), c.authMaxDelay());
        assertEquals(20, c.blockAfter());
        assertEquals(Duration.ofMinutes(10), c.window());
        assertEquals(Duration.ofMinutes(15), c.blockTime());
        assertEquals("", c.state().redis());
        assertEquals("mailproxy:", c.state().keyPrefix());
        assertEquals(GuardConfig.OnRedisDown.LOCAL, c.state().onRedisDown());
        assertEquals(100_000, c.state().localMaxKeys());
    }

    @Test
    void delayDoublesPerFailureUpToTheCap() throws Exception {
        Guard g = guard("");
        InetAddress a = ip("198.51.100.7");
        long[] expected = {2, 4, 8, 15, 15, 15};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], seconds(g.delayBeforeFailureReply(a, "bob", "guess" + i)), "failure " + (i + 1));
        }
    }

    @ParameterizedTest
    @CsvSource({"1, 1000", "2, 2000", "3, 4000", "4, 5000", "1000000, 5000"})
    void delayCurve(long failures, long millis) {
        Guard g = guard("auth-delay = 1s, auth-max-delay = 5s");
        assertEquals(Duration.ofMillis(millis), g.delay(failures));
    }

    @Test
    void theSameWrongPasswordAgainDoesNotEscalate() throws Exception {
        Guard g = guard("block-after = 3");
        InetAddress a = ip("198.51.100.7");
        for (int i = 0; i < 10; i++) {
            assertEquals(2, seconds(g.delayBeforeFailureReply(a, "bob", "last-years-password")), "retry " + i);
        }
        assertFalse(g.blocked(a), "a stale password retried is one failure, not ten");
        assertEquals(4, seconds(g.delayBeforeFailureReply(a, "bob", "another")));
    }

    @Test
    void blockedAfterBlockAfterFailuresForBlockTime() throws Exception {
        Guard g = guard("block-after = 5, block-time = 15m, window = 10m");
        InetAddress a = ip("203.0.113.9");
        for (int i = 0; i < 4; i++) g.delayBeforeFailureReply(a, "user" + i, "pw");
        assertFalse(g.blocked(a));
        g.delayBeforeFailureReply(a, "user4", "pw");
        assertTrue(g.blocked(a), "five failures, over any users, block the address");
        assertFalse(g.blocked(ip("203.0.113.10")), "only that address");
        clock.advance(Duration.ofMinutes(14));
        assertTrue(g.blocked(a));
        clock.advance(Duration.ofMinutes(1));
        assertFalse(g.blocked(a), "unblocked after block-time");
        assertEquals(2, seconds(g.delayBeforeFailureReply(a, "user9", "pw")), "the window has passed too");
        assertFalse(g.blocked(a));
    }

    @Test
    void failuresOutsideTheWindowAreForgotten() throws Exception {
        Guard g = guard("block-after = 3, window = 10m");
        InetAddress a = ip("203.0.113.9");
        g.delayBeforeFailureReply(a, "bob", "1");
        g.delayBeforeFailureReply(a, "bob", "2");
        clock.advance(Duration.ofMinutes(10));
        assertEquals(2, seconds(g.delayBeforeFailureReply(a, "bob", "3")));
        assertFalse(g.blocked(a));
    }

    @Test
    void successForgetsThisAddressesFailuresForThatUser() throws Exception {
        Guard g = guard("");
        InetAddress a = ip("198.51.100.7");
        for (int i = 0; i < 3; i++) g.delayBeforeFailureReply(a, "bob", "typo" + i);
        g.loginSucceeded(a, "Bob");
        assertEquals(2, seconds(g.delayBeforeFailureReply(a, "bob", "typo9")), "back to the first step");
    }

    @Test
    void successDoesNotForgetWhatOtherAddressesDidToTheUser() throws Exception {
        Guard g = guard("");
        for (int i = 0; i < 3; i++) g.delayBeforeFailureReply(ip("192.0.2." + (10 + i)), "bob", "guess" + i);
        g.loginSucceeded(ip("198.51.100.7"), "bob");
        assertEquals(15, seconds(g.delayBeforeFailureReply(ip("192.0.2.99"), "bob", "guess9")),
                "the fourth failure on bob, from anywhere");
    }

    @Test
    void trustedNetworksAreExemptFromEverything() throws Exception {
        Guard g = guard("trusted-networks = [\"10.0.0.0/8\", \"2001:db8::/32\"], block-after = 1,"
                + " max-connections-per-ip = 1, max-sessions-per-user = 1");
        for (String t : new String[] {"10.1.2.3", "2001:db8:ffff::1"}) {
            InetAddress a = ip(t);
            for (int i = 0; i < 5; i++) {
                assertEquals(Duration.ZERO, g.delayBeforeFailureReply(a, "bob", "pw" + i));
                assertTrue(g.admit(a).ok());
                assertTrue(g.admitUser(a, "webmail", Protocol.IMAP).ok());
            }
            assertFalse(g.blocked(a), t);
        }
        InetAddress outside = ip("11.0.0.1");
        g.delayBeforeFailureReply(outside, "bob", "pw");
        assertTrue(g.blocked(outside));
    }

    @Test
    void ipv6ClientsAreCountedPerSlash64() throws Exception {
        Guard g = guard("max-connections-per-ip = 1");
        Guard.Permit first = g.admit(ip("2001:db8:1:2::1"));
        assertTrue(first.ok());
        assertFalse(g.admit(ip("2001:db8:1:2:ffff:ffff:ffff:fffe")).ok(), "same /64");
        assertTrue(g.admit(ip("2001:db8:1:3::1")).ok(), "next /64");
        first.close();
        assertTrue(g.admit(ip("2001:db8:1:2::99")).ok(), "given back");
    }

    @Test
    void ipv6PrefixIsConfigurableAndIpv4IsPerAddress() throws Exception {
        Guard g = guard("max-connections-per-ip = 1, ipv6-prefix = 48");
        assertTrue(g.admit(ip("2001:db8:1:2::1")).ok());
        assertFalse(g.admit(ip("2001:db8:1:3::1")).ok(), "same /48");
        assertTrue(g.admit(ip("192.0.2.1")).ok());
        assertTrue(g.admit(ip("192.0.2.2")).ok(), "IPv4: one address each");
        assertFalse(g.admit(ip("::ffff:192.0.2.1")).ok(), "an IPv4-mapped address is that IPv4 address");
    }

    @Test
    void perIpLimitAndPermitsGivenBackOnce() throws Exception {
        Guard g = guard("max-connections-per-ip = 2");
        InetAddress a = ip("198.51.100.7");
        Guard.Permit p1 = g.admit(a);
        Guard.Permit p2 = g.admit(a);
        Guard.Permit p3 = g.admit(a);
        assertTrue(p1.ok() && p2.ok());
        assertFalse(p3.ok());
        p3.close(); // a refusal gives nothing back
        assertFalse(g.admit(a).ok());
        p1.close();
        p1.close(); // twice: still only one place
        assertTrue(g.admit(a).ok());
        assertFalse(g.admit(a).ok());
    }

    @Test
    void perUserSessionLimitIsCaseInsensitive() throws Exception {
        Guard g = guard("max-sessions-per-user = 2");
        InetAddress a = ip("198.51.100.7");
        Guard.Permit s1 = g.admitUser(a, "bob@example.org", Protocol.IMAP);
        Guard.Permit s2 = g.admitUser(ip("192.0.2.1"), "Bob@Example.org", Protocol.IMAP);
        assertTrue(s1.ok() && s2.ok());
        assertFalse(g.admitUser(a, "BOB@example.org", Protocol.IMAP).ok());
        assertTrue(g.admitUser(a, "alice@example.org", Protocol.IMAP).ok(), "other users are not affected");
        s2.close();
        assertTrue(g.admitUser(a, "bob@example.org", Protocol.IMAP).ok());
    }

    @Test
    void tenSessionsOfOneUserFromOneAddressPerProtocolByDefault() throws Exception {
        Guard g = guard("");
        InetAddress office = ip("198.51.100.7");
        List<Guard.Permit> held = new ArrayList<>();
        for (int i = 0; i < 10; i++) held.add(g.admitUser(office, "bob", Protocol.IMAP));
        assertTrue(held.stream().allMatch(Guard.Permit::ok));
        assertFalse(g.admitUser(office, "Bob", Protocol.IMAP).ok(), "the eleventh, as Dovecot's mail_max_userip_connections");
        assertTrue(g.admitUser(office, "bob", Protocol.POP3).ok(), "counted per protocol");
        assertTrue(g.admitUser(office, "alice", Protocol.IMAP).ok(), "another user behind the same address");
        for (int i = 0; i < 9; i++) assertTrue(g.admitUser(ip("192.0.2." + (i + 1)), "bob", Protocol.IMAP).ok());
        assertFalse(g.admitUser(ip("192.0.2.99"), "bob", Protocol.IMAP).ok(),
                "max-sessions-per-user = 20: the refused eleventh took no place under it");
        held.remove(0).close();
        assertTrue(g.admitUser(office, "bob", Protocol.IMAP).ok(), "a place given back under both limits");
    }

    @Test
    void thePerAddressLimitIsHighEnoughForAnOfficeByDefault() throws Exception {
        Guard g = guard("");
        InetAddress office = ip("198.51.100.7");
        for (int i = 0; i < 1000; i++) assertTrue(g.admit(office).ok());
        assertFalse(g.admit(office).ok(), "1000: one host still cannot take all of max-connections");
    }

    @Test
    void zeroMeansNoLimit() throws Exception {
        Guard g = guard("max-connections-per-ip = 0, max-sessions-per-user = 0, max-sessions-per-user-ip = 0, block-after = 0");
        InetAddress a = ip("198.51.100.7");
        for (int i = 0; i < 100; i++) {
            assertTrue(g.admit(a).ok());
            assertTrue(g.admitUser(a, "bob", Protocol.IMAP).ok());
            g.delayBeforeFailureReply(a, "bob", "pw" + i);
        }
        assertFalse(g.blocked(a));
    }

    @Test
    void heldCountersAreRefreshedWhileTheSessionsLast() throws Exception {
        Guard g = guard("max-sessions-per-user = 1, session-count-ttl = 1h");
        InetAddress a = ip("198.51.100.7");
        assertTrue(g.admitUser(a, "bob", Protocol.IMAP).ok());
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofMinutes(50));
            g.refreshHeld();
        }
        assertFalse(g.admitUser(a, "bob", Protocol.IMAP).ok(), "a session of four hours still counts");
    }

    @Test
    void aBlockHoldsWhileAnAttackerFloodsTheTableFromRotatingNetworks() throws Exception {
        GuardConfig c = GuardConfigs.of("block-after = 3, window = 10m, block-time = 15m", "local-max-keys = 100");
        Guard g = new Guard(c, new LocalState(clock, c.state().localMaxKeys()), false);
        guards.add(g);
        InetAddress attacker = ip("2001:db8:aaaa:1::7");
        for (int i = 0; i < 3; i++) g.delayBeforeFailureReply(attacker, "bob", "guess" + i);
        assertTrue(g.blocked(attacker));
        clock.advance(Duration.ofMinutes(6)); // the flood's records now outlive the block
        for (int i = 0; i < 2000; i++) {
            g.delayBeforeFailureReply(ip("2001:db8:" + Integer.toHexString(i) + ":2::1"), "user" + i, "guess");
        }
        assertTrue(g.blocked(attacker), "the block holds: a full table does not forget it");
        assertTrue(g.admit(ip("198.51.100.7")).ok(), "failure records make room; connections go on");
    }

    @Test
    void aTableFullOfBlocksRefusesNewConnectionsInsteadOfForgetting() throws Exception {
        GuardConfig c = GuardConfigs.of("block-after = 1, max-connections-per-ip = 5", "local-max-keys = 100");
        Guard g = new Guard(c, new LocalState(clock, c.state().localMaxKeys()), false);
        guards.add(g);
        for (int i = 0; i < 150; i++) g.delayBeforeFailureReply(ip("2001:db8:" + Integer.toHexString(i) + "::1"), "bob", "x");
        assertTrue(g.blocked(ip("2001:db8:0::1")), "the first block is still there");
        Guard.Permit p = g.admit(ip("198.51.100.7"));
        assertFalse(p.ok(), "full of blocks: new connections get the temporary refusal");
        assertTrue(p.tableFull(), "and it says why (its own metric)");
        assertTrue(g.admit(ip("10.0.0.1")).tableFull());
        clock.advance(c.blockTime());
        assertTrue(g.admit(ip("198.51.100.7")).ok(), "the blocks expired: connections go on");
    }

    @Test
    void localStateIsAlwaysAvailable() {
        assertTrue(guard("").available());
        assertTrue(guard("").available());
    }
}
