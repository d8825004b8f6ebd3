package mailproxy.route;

import static mailproxy.route.PoolFixtures.servers;
import static mailproxy.route.PoolFixtures.stores;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import mailproxy.config.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** least-connections and round-robin, weighted; draining and down servers. */
class BalancerTest {
    private static Pool pool(String balance, int... weights) {
        return Pools.build(stores(servers(weights) + "imap { balance = " + balance + " }\nhealth { interval = 0s }"), null)
                .get("stores");
    }

    private static Map<String, Integer> count(List<String> hosts) {
        Map<String, Integer> out = new HashMap<>();
        for (String h : hosts) out.merge(h, 1, Integer::sum);
        return out;
    }

    @Test
    void roundRobinIsSmoothAndWeighted() {
        Pool p = pool("round-robin", 1, 1, 2, 4);
        List<String> picks = new java.util.ArrayList<>();
        for (int i = 0; i < 8000; i++) picks.add(p.candidates("u" + i, Protocol.IMAP).get(0).host());
        assertEquals(Map.of("10.0.0.1", 1000, "10.0.0.2", 1000, "10.0.0.3", 2000, "10.0.0.4", 4000), count(picks));
        // smooth: every window of one cycle (Σw = 8 picks) holds each server exactly its weight
        for (int from = 0; from + 8 <= 64; from += 8) {
            assertEquals(Map.of("10.0.0.1", 1, "10.0.0.2", 1, "10.0.0.3", 2, "10.0.0.4", 4), count(picks.subList(from, from + 8)));
        }
        for (int i = 1; i < 8; i++) {
            assertFalse(picks.get(i).equals(picks.get(i - 1)), "within a cycle no server twice in a row: " + picks.subList(0, 8));
        }
        assertEquals(List.of("10.0.0.4", "10.0.0.3", "10.0.0.4", "10.0.0.1"), picks.subList(0, 4), "nginx's order");
    }

    @Test
    void leastConnectionsPerWeight() {
        Pool p = pool("least-connections", 1, 1, 2, 4);
        for (int i = 0; i < 800; i++) p.candidates("u", Protocol.IMAP).get(0).connected();
        int[] expected = {100, 100, 200, 400};
        for (int i = 0; i < 4; i++) assertEquals(expected[i], p.servers().get(i).active(), 1, "server " + i);
        for (PoolServer s : p.servers()) {
            for (int n = s.active(); n > 0; n--) s.released();
            assertEquals(0, s.active());
        }
    }

    @Test
    void leastConnectionsTakesTiesInTurn() {
        Pool p = pool("least-connections", 1, 1, 1, 1);
        List<String> picks = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) picks.add(p.candidates("u", Protocol.IMAP).get(0).host());
        assertEquals(Map.of("10.0.0.1", 2, "10.0.0.2", 2, "10.0.0.3", 2, "10.0.0.4", 2), count(picks), "idle pool: spread");
        p.servers().get(0).connected();
        for (int i = 0; i < 8; i++) assertTrue(!p.candidates("u", Protocol.IMAP).get(0).host().equals("10.0.0.1"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"user-hash", "least-connections", "round-robin"})
    void drainingServersGetNothing(String balance) {
        Pool p = pool(balance, 1, 1, 2, 4);
        PoolServer heavy = p.servers().get(3);
        heavy.drain();
        assertTrue(heavy.draining());
        for (int i = 0; i < 400; i++) {
            List<PoolServer> c = p.candidates("user" + i, Protocol.IMAP);
            assertFalse(c.contains(heavy), balance);
            assertEquals(3, c.size(), "max-tries");
            assertEquals(3, new HashSet<>(c).size(), "each server once");
        }
        p.servers().forEach(PoolServer::drain);
        assertEquals(List.of(), p.candidates("u", Protocol.IMAP), "all draining: nothing to try");
    }

    @ParameterizedTest
    @ValueSource(strings = {"user-hash", "least-connections", "round-robin"})
    void downServersAreSkippedUntilNoneIsUpThenAllAreTried(String balance) {
        Pool p = pool(balance, 1, 1, 1);
        PoolServer a = p.servers().get(0);
        PoolServer b = p.servers().get(1);
        PoolServer c = p.servers().get(2);
        a.failed(Protocol.IMAP, "test");
        b.failed(Protocol.IMAP, "test");
        for (int i = 0; i < 20; i++) assertEquals(List.of(c), p.candidates("user" + i, Protocol.IMAP), balance);
        c.failed(Protocol.IMAP, "test");
        for (int i = 0; i < 20; i++) {
            assertEquals(3, p.candidates("user" + i, Protocol.IMAP).size(), "none up: all of them, in the policy's order");
        }
        assertEquals(List.of(), p.candidates("u", Protocol.SMTP), "the pool serves no SMTP");
    }
}
