package mailproxy.route;

import static mailproxy.route.PoolFixtures.servers;
import static mailproxy.route.PoolFixtures.stores;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import mailproxy.config.Protocol;
import mailproxy.config.ProxyConfig;
import org.junit.jupiter.api.Test;

/** user-hash: weighted rendezvous hashing keeps users on their server and moves few of them. */
class UserHashTest {
    private static final int NAMES = 10_000;
    private static final String NO_CHECKS = "imap { }\npop3 { }\nhealth { interval = 0s }\n";

    private static List<String> names() {
        List<String> out = new ArrayList<>(NAMES);
        for (int i = 0; i < NAMES; i++) out.add("user" + i + "@example.org");
        return out;
    }

    private static Pool pool(String servers) {
        return Pools.build(stores(servers + NO_CHECKS), null).get("stores");
    }

    private static Map<String, String> firstChoices(Pool pool, List<String> names) {
        Map<String, String> out = new HashMap<>();
        for (String n : names) out.put(n, pool.candidates(n, Protocol.IMAP).get(0).host());
        return out;
    }

    @Test
    void sharesFollowTheWeights() {
        Map<String, String> first = firstChoices(pool(servers(1, 1, 2, 4)), names());
        int[] weights = {1, 1, 2, 4};
        for (int i = 0; i < weights.length; i++) {
            String host = "10.0.0." + (i + 1);
            double share = first.values().stream().filter(host::equals).count() / (double) NAMES;
            assertEquals(weights[i] / 8.0, share, 0.02, host + " weight " + weights[i]);
        }
    }

    @Test
    void aNewServerTakesItsShareAndNobodyElseMoves() {
        List<String> names = names();
        Map<String, String> before = firstChoices(pool(servers(1, 1, 2, 4)), names);
        Map<String, String> after = firstChoices(pool(servers(1, 1, 2, 4, 2)), names);
        int moved = 0;
        for (String n : names) {
            if (before.get(n).equals(after.get(n))) continue;
            moved++;
            assertEquals("10.0.0.5", after.get(n), n + " moved, but not to the new server");
        }
        assertEquals(2 / 10.0, moved / (double) NAMES, 0.02, "w_new / Σw of the users move");
    }

    @Test
    void aRemovedServersUsersGoToTheirSecondChoiceAndOnlyThey() {
        Pool four = pool(servers(1, 1, 2, 4));
        Pool three = pool("servers = [ { host = \"10.0.0.1\", weight = 1 }, { host = \"10.0.0.3\", weight = 2 }, "
                + "{ host = \"10.0.0.4\", weight = 4 } ]\n");
        int theirs = 0;
        for (String n : names()) {
            List<PoolServer> was = four.candidates(n, Protocol.IMAP);
            String now = three.candidates(n, Protocol.IMAP).get(0).host();
            if (was.get(0).host().equals("10.0.0.2")) {
                theirs++;
                assertEquals(was.get(1).host(), now, n);
            } else {
                assertEquals(was.get(0).host(), now, n + " was not on the removed server and must stay");
            }
        }
        assertTrue(theirs > 0);
    }

    @Test
    void sameUserSameServerAcrossCallsFreshPoolsAndProtocols() {
        // the README's pool: the second server has its own IMAP and POP3 ports
        String servers = "servers = [ { host = \"10.0.0.1\", weight = 2 }, "
                + "{ host = \"10.0.0.2\", imap-port = 1143, pop3-port = 1110 }, { host = \"10.0.0.3\" } ]\n";
        Pool a = pool(servers);
        Pool b = pool(servers);
        for (String n : names().subList(0, 500)) {
            List<PoolServer> imap = a.candidates(n, Protocol.IMAP);
            assertEquals(imap, a.candidates(n, Protocol.IMAP));
            assertEquals(ids(imap), ids(b.candidates(n, Protocol.IMAP)), "a fresh Pools gives the same order");
            assertEquals(ids(imap), ids(a.candidates(n, Protocol.POP3)), "IMAP and POP3 of one user on one server");
        }
    }

    @Test
    void theHashIsPinned() {
        // FNV-1a 64 reference value; a change here would move every user of every deployment
        assertEquals(0xaf63dc4c8601ec8cL, UserHash.fnv1a("a"));
        assertEquals(0xcbf29ce484222325L, UserHash.fnv1a(""));
        Pool p = pool(servers(1, 1, 2, 4));
        assertEquals(List.of("10.0.0.3:143", "10.0.0.1:143", "10.0.0.4:143"), ids(p.candidates("alice@example.org", Protocol.IMAP)));
        assertEquals(List.of("10.0.0.4:143", "10.0.0.3:143", "10.0.0.2:143"), ids(p.candidates("bob@example.org", Protocol.IMAP)));
    }

    @Test
    void aDownServersUsersTakeTheirSecondChoiceAndComeBack() {
        PoolFixtures.Clock clock = new PoolFixtures.Clock();
        ProxyConfig cfg = stores(servers(1, 1, 2, 4) + NO_CHECKS + "max-fails = 1, fail-timeout = 10s");
        Pool pool = Pools.build(cfg, null, clock).get("stores");
        List<String> names = names().subList(0, 2000);
        Map<String, List<PoolServer>> before = new HashMap<>();
        for (String n : names) before.put(n, pool.candidates(n, Protocol.IMAP));
        PoolServer down = pool.servers().get(3);
        down.failed(Protocol.IMAP, "connect refused");
        assertFalse(down.up(Protocol.IMAP));
        for (String n : names) {
            List<PoolServer> now = pool.candidates(n, Protocol.IMAP);
            assertFalse(now.contains(down));
            List<PoolServer> was = before.get(n);
            assertEquals(was.get(0) == down ? was.get(1) : was.get(0), now.get(0), n);
        }
        assertTrue(pool.candidates("x", Protocol.POP3).size() > 0);
        assertTrue(down.up(Protocol.POP3), "POP3 is another port: not marked");
        clock.advance(Duration.ofSeconds(10));
        for (String n : names) assertEquals(before.get(n), pool.candidates(n, Protocol.IMAP), n + " is back");
    }

    @Test
    void maxTriesBoundsTheList() {
        Pool p = Pools.build(stores(servers(1, 1, 1, 1, 1) + NO_CHECKS + "max-tries = 2"), null).get("stores");
        assertEquals(2, p.candidates("u", Protocol.IMAP).size());
        assertNotEquals(p.candidates("u", Protocol.IMAP).get(0), p.candidates("u", Protocol.IMAP).get(1));
    }

    private static List<String> ids(List<PoolServer> servers) {
        return servers.stream().map(s -> s.target(Protocol.IMAP).toString()).toList();
    }
}
