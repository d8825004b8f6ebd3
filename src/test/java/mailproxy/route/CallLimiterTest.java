package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import mailproxy.config.ConfigException;
import mailproxy.config.ConfigLoader;
import mailproxy.config.ProxyConfig;
import mailproxy.config.RouterConfig;
import mailproxy.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An auth_http router's bound on requests at once (README, "Reconnect storms"): its
 * settings, a login interrupted while queued (a stopping server), and the bound kept across
 * a reload. The storm itself, through the proxy: {@link RouterBusyTest}.
 */
@Timeout(30)
class CallLimiterTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static ProxyConfig config(String routerKeys) {
        return ConfigLoader.parse("mailproxy {\n routers { auth { type = auth-http, url = \"http://127.0.0.1:9/auth\""
                + routerKeys + " }, local { type = static, default = store } }\n"
                + " backends { store { host = \"127.0.0.1\", imap { port = 143 } } }\n}", "routers.conf");
    }

    @Test
    void settingsAndTheirDefaults() {
        RouterConfig.AuthHttp a = (RouterConfig.AuthHttp) config("").routers().get("auth");
        assertEquals(new RouterConfig.CallLimit(64, 256, Duration.ofSeconds(5)), a.limit());
        a = (RouterConfig.AuthHttp) config(", max-concurrent = 8, queue = 0, queue-timeout = 250ms").routers().get("auth");
        assertEquals(new RouterConfig.CallLimit(8, 0, Duration.ofMillis(250)), a.limit());
        ConfigException e = assertThrows(ConfigException.class, () -> config(", max-concurrent = 0"));
        assertTrue(e.getMessage().contains("routers.conf") && e.getMessage().contains("max-concurrent"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> config(", queue = -1"));
        assertTrue(e.getMessage().contains("queue"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> config(", queue-timeout = soon"));
        assertTrue(e.getMessage().contains("queue-timeout"), e.getMessage());
        ProxyConfig c = config("");
        assertNull(Routers.build(c, Pools.build(c, null)).get("local").limiter(), "the static map does no I/O: no bound");
    }

    @Test
    void aLoginInterruptedInTheQueueLeavesNothingTaken() throws Exception {
        CallLimiter limit = new CallLimiter("auth", new RouterConfig.CallLimit(1, 1, Duration.ofSeconds(30)));
        assertEquals(CallLimiter.Entry.ENTERED, limit.enter());
        AtomicReference<Object> queuedOutcome = new AtomicReference<>();
        Thread queued = Thread.ofVirtual().start(() -> {
            try {
                queuedOutcome.set(limit.enter());
            } catch (InterruptedException e) {
                queuedOutcome.set(e);
            }
        });
        Await.until(WAIT, "one login queued", () -> limit.queued() == 1);
        assertEquals(CallLimiter.Entry.QUEUE_FULL, limit.enter(), "the queue holds one");
        queued.interrupt();
        queued.join(WAIT);
        assertTrue(queuedOutcome.get() instanceof InterruptedException, String.valueOf(queuedOutcome.get()));
        assertEquals(0, limit.queued());
        assertEquals(1, limit.inFlight());
        limit.exit();
        assertEquals(0, limit.inFlight());
        assertEquals(CallLimiter.Entry.ENTERED, limit.enter(), "the place came back, and only one");
        limit.exit();
        assertEquals(1, limit.refused("queue-full"));
        assertEquals(0, limit.refused("queue-timeout"));
    }

    @Test
    void aQueuedLoginWaitsQueueTimeoutThenIsRefused() throws Exception {
        CallLimiter limit = new CallLimiter("auth", new RouterConfig.CallLimit(1, 4, Duration.ofMillis(50)));
        assertEquals(CallLimiter.Entry.ENTERED, limit.enter());
        assertEquals(CallLimiter.Entry.QUEUE_TIMEOUT, limit.enter(), "nobody leaves: the wait ends");
        assertEquals(0, limit.queued());
        assertEquals(1, limit.refused("queue-timeout"));
        limit.exit();
        assertEquals(CallLimiter.Entry.ENTERED, limit.enter());
        limit.exit();
    }

    @Test
    void aReloadKeepsTheBoundWhileTheSettingsStayAndStartsANewOneWhenTheyChange() throws Exception {
        ProxyConfig c = config(", max-concurrent = 1");
        Pools pools = Pools.build(c, null);
        Map<String, Router> first = Routers.build(c, pools);
        CallLimiter limit = first.get("auth").limiter();
        assertEquals(CallLimiter.Entry.ENTERED, limit.enter(), "a login of the old generation, still asking");
        Map<String, Router> reloaded = Routers.build(c, pools, first);
        assertSame(limit, reloaded.get("auth").limiter());
        assertEquals(1, reloaded.get("auth").limiter().inFlight(), "counted against the new generation's bound too");
        Map<String, Router> changed = Routers.build(config(", max-concurrent = 2"), pools, reloaded);
        assertNotSame(limit, changed.get("auth").limiter());
        assertEquals(0, changed.get("auth").limiter().inFlight());
        limit.exit();
        for (Map<String, Router> rs : java.util.List.of(first, reloaded, changed)) rs.values().forEach(Router::close);
    }
}
