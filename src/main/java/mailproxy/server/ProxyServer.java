package mailproxy.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import mailproxy.config.ListenerConfig;
import mailproxy.config.ProxyConfig;
import mailproxy.route.Pools;
import mailproxy.route.Router;
import mailproxy.route.Routers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** All listeners of one configuration, their shared connection permits, and the stop. */
public final class ProxyServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    private final ProxyConfig config;
    private final List<Listener> listeners = new ArrayList<>();
    private final Sessions sessions;
    private final Pools pools;

    private ProxyServer(ProxyConfig config, Pools pools) {
        this.config = config;
        this.pools = pools;
        this.sessions = new Sessions(config.limits().proxyTimeout());
    }

    /** Binds every listener (failing as a whole if one cannot bind) and starts accepting. */
    public static ProxyServer start(ProxyConfig config) throws IOException {
        Pools pools = Pools.start(config, null);
        Map<String, Router> routers = Routers.build(config, pools);
        ProxyServer server = new ProxyServer(config, pools);
        Semaphore permits = new Semaphore(config.maxConnections());
        AtomicLong ids = new AtomicLong();
        try {
            for (ListenerConfig l : config.listeners()) {
                for (InetSocketAddress a : l.addresses()) {
                    try {
                        server.listeners.add(new Listener(config, l, a, routers.get(l.router()), permits, ids, server.sessions));
                    } catch (IOException e) {
                        throw new IOException("cannot listen on " + SessionContext.format(a) + " (" + l.name() + "): " + e.getMessage(), e);
                    }
                }
            }
        } catch (IOException e) {
            server.listeners.forEach(Listener::close);
            server.sessions.close();
            pools.close();
            throw e;
        }
        for (Listener l : server.listeners) {
            l.start();
            log.info("{} listening on {}", l.config().protocol().id(), SessionContext.format(l.address()));
        }
        return server;
    }

    /** Bound addresses, in config order (ports resolved when the config said 0). */
    public List<InetSocketAddress> addresses() {
        return listeners.stream().map(Listener::address).toList();
    }

    /** The first bound address of the listener with this name. */
    public InetSocketAddress address(String listenerName) {
        return listeners.stream().filter(l -> l.config().name().equals(listenerName)).findFirst()
                .map(Listener::address).orElseThrow(() -> new IllegalArgumentException("no listener " + listenerName));
    }

    public int activeSessions() { return sessions.count(); }

    /**
     * Graceful stop: no new connections; sessions get until drain-timeout to finish,
     * then whatever is left is closed.
     */
    @Override
    public void close() {
        listeners.forEach(Listener::close);
        if (sessions.count() > 0) log.info("draining {} sessions for up to {}", sessions.count(), config.drainTimeout());
        awaitNoSessions(config.drainTimeout());
        if (sessions.count() > 0) {
            log.info("closing {} sessions still open after the drain timeout", sessions.count());
            sessions.closeAll();
            // closed sockets wake every session thread; give them a moment to log and unregister
            awaitNoSessions(Duration.ofSeconds(5));
        }
        sessions.close();
        pools.close();
    }

    private void awaitNoSessions(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (sessions.count() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
