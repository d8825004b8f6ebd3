package mailproxy.route;

import static mailproxy.route.PoolFixtures.stores;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import mailproxy.config.Protocol;
import org.junit.jupiter.api.Test;

/** servers[i].protocols: a server that leaves out a protocol is neither a candidate nor checked for it. */
class ServerProtocolsPoolTest {
    private static final String POOL = """
            servers = [ { host = a, protocols = [imap] }, { host = b }, { host = c, protocols = [pop3] } ]
            imap { }
            pop3 { }
            """;

    @Test
    void candidatesForAProtocolAreOnlyTheServersThatServeIt() {
        try (Pools pools = Pools.build(stores(POOL), null)) {
            Pool pool = pools.get("stores");
            for (int i = 0; i < 50; i++) {
                List<String> imap = pool.candidates("user" + i, Protocol.IMAP).stream().map(PoolServer::host).toList();
                List<String> pop3 = pool.candidates("user" + i, Protocol.POP3).stream().map(PoolServer::host).toList();
                assertFalse(imap.contains("c"), imap.toString());
                assertFalse(pop3.contains("a"), pop3.toString());
                assertEquals(2, imap.size());
                assertEquals(2, pop3.size());
            }
        }
    }

    @Test
    void healthChecksOnlyForTheProtocolsAServerServes() {
        try (Pools pools = Pools.build(stores(POOL), null)) {
            assertEquals(4, pools.checker().checks(), "a imap, b imap, b pop3, c pop3");
            PoolServer c = pools.get("stores").servers().get(2);
            assertFalse(c.serves(Protocol.IMAP));
            assertTrue(c.serves(Protocol.POP3));
            assertEquals("c:110", c.id(), "its identity: its first protocol served");
        }
    }
}
