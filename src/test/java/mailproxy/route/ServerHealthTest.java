package mailproxy.route;

import static mailproxy.route.PoolFixtures.stores;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import mailproxy.config.Protocol;
import org.junit.jupiter.api.Test;

/** What the admin's status page shows of a server (PoolServer.health): since when and why up or down, the last check. */
class ServerHealthTest {
    private final PoolFixtures.Clock clock = new PoolFixtures.Clock();

    private PoolServer server() {
        Pool p = Pools.build(stores("servers = [ { host = \"10.0.0.1\" } ]\nimap { }\n"
                + "health { interval = 0s, rise = 1, fall = 2 }\nmax-fails = 1, fail-timeout = 30s\n"), null, clock).get("stores");
        return p.servers().get(0);
    }

    @Test
    void aFreshServerIsUpSinceStartWithNoCheckYet() {
        PoolServer.Health h = server().health(Protocol.IMAP);
        assertTrue(h.up());
        assertNull(h.since());
        assertNull(h.why());
        assertNull(h.lastCheck());
    }

    @Test
    void passiveMarkingSaysWhyAndWhenItEnds() {
        PoolServer s = server();
        s.failed(Protocol.IMAP, "greeting timeout");
        PoolServer.Health down = s.health(Protocol.IMAP);
        assertFalse(down.up());
        assertNotNull(down.since());
        assertEquals("1 failure in 10s (greeting timeout)", down.why());
        clock.advance(Duration.ofSeconds(30));
        PoolServer.Health back = s.health(Protocol.IMAP);
        assertTrue(back.up());
        assertEquals("fail-timeout 30s over", back.why());
        s.failed(Protocol.IMAP, "connect refused");
        s.succeeded(Protocol.IMAP);
        assertEquals("login succeeded", s.health(Protocol.IMAP).why());
    }

    @Test
    void activeChecksKeepTheLastResultAndSayWhyAfterFall() {
        PoolServer s = server();
        s.checked(Protocol.IMAP, false, "connect refused");
        PoolServer.Health once = s.health(Protocol.IMAP);
        assertTrue(once.up(), "fall = 2");
        assertEquals("connect refused", once.lastCheck());
        assertNotNull(once.lastCheckAt());
        assertNull(once.why(), "nothing changed yet");
        s.checked(Protocol.IMAP, false, "connect refused");
        assertEquals("connect refused (2 checks)", s.health(Protocol.IMAP).why());
        s.checked(Protocol.IMAP, true, "greeting ok");
        PoolServer.Health up = s.health(Protocol.IMAP);
        assertTrue(up.up());
        assertEquals("ok", up.lastCheck());
        assertEquals("greeting ok (1 check)", up.why());
    }
}
