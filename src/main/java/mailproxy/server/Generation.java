package mailproxy.server;

import java.util.Map;
import mailproxy.config.ProxyConfig;
import mailproxy.guard.Guard;
import mailproxy.route.Pools;
import mailproxy.route.Router;
import mailproxy.route.Routers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One configuration in force: the config, its backend pools (health checks running) and
 * its routers. A reload builds the next generation beside this one and swaps it in; a
 * session keeps the generation it was accepted under until it ends (docs/ARCHITECTURE.md,
 * "Reloading").
 */
record Generation(ProxyConfig config, Pools pools, Map<String, Router> routers, Guard guard) {
    private static final Logger log = LoggerFactory.getLogger(Generation.class);

    /**
     * The pools (taking over {@code previous}'s server state and stopping its checks), the
     * routers, and the guard: the previous one, counters and all, while its settings are
     * unchanged; a new one (counters start over) when they changed.
     */
    static Generation start(ProxyConfig config, Generation previous) {
        Pools pools = Pools.start(config, previous == null ? null : previous.pools());
        Guard guard = previous != null && previous.guard().config().equals(config.guard())
                ? previous.guard() : Guard.start(config.guard());
        return new Generation(config, pools, Routers.build(config, pools, previous == null ? Map.of() : previous.routers()), guard);
    }

    Router router(String name) { return routers.get(name); }

    /**
     * Closes the routers (auth_http's keep-alive connections), stops the health checks, and
     * closes the guard unless {@code next} goes on with it.
     */
    void close(Generation next) {
        if (next == null || next.guard() != guard) guard.close();
        for (Router r : routers.values()) {
            try {
                r.close();
            } catch (RuntimeException e) {
                log.warn("closing a router failed: {}", e.toString());
            }
        }
        pools.close();
        if (next == null) pools.closeShared();
    }
}
