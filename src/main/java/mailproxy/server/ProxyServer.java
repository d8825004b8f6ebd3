package mailproxy.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import mailproxy.config.Limits;
import mailproxy.config.ListenerConfig;
import mailproxy.config.Protocol;
import mailproxy.config.ProxyConfig;
import mailproxy.session.SessionFactory;
import mailproxy.wire.Addresses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All listeners of the configuration in force, their shared connection permits, reloads
 * and the stop.
 */
public final class ProxyServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    private final Map<Protocol, SessionFactory> protocols = ProtocolRegistry.build();
    private final Permits permits;
    private final AtomicLong ids = new AtomicLong();
    private final Sessions sessions;
    /** Held while the listeners and the generation change (a reload, the stop). */
    private final ReentrantLock changing = new ReentrantLock();
    /** Bound listeners, one per listen address, in config order. */
    private List<Listener> listeners = List.of();
    private volatile Generation current;

    private ProxyServer(ProxyConfig config) {
        this.permits = new Permits(config.maxConnections());
        this.sessions = new Sessions(allLimits(config));
    }

    /** Binds every listener (failing as a whole if one cannot bind) and starts accepting. */
    public static ProxyServer start(ProxyConfig config) throws IOException {
        ProxyServer server = new ProxyServer(config);
        try {
            server.listeners = server.bind(config, List.of());
        } catch (IOException e) {
            server.sessions.close();
            throw e;
        }
        Generation g = Generation.start(config, null);
        server.serve(config, g, server.listeners);
        server.current = g;
        for (Listener l : server.listeners) {
            l.start();
            log.info("{} listening on {}", l.protocol().id(), Addresses.hostPort(l.address()));
        }
        return server;
    }

    /**
     * The sockets for {@code config}, one per listen address in config order: a listener
     * bound already to a fixed address (same protocol) keeps its socket; new addresses are
     * bound. Nothing else changes here, so a failed bind leaves everything as it was.
     */
    private List<Listener> bind(ProxyConfig config, List<Listener> old) throws IOException {
        List<Listener> out = new ArrayList<>();
        try {
            for (ListenerConfig l : config.listeners()) {
                for (InetSocketAddress a : l.addresses()) {
                    Listener existing = a.getPort() == 0 ? null : old.stream()
                            .filter(o -> o.protocol() == l.protocol() && o.requested().equals(a) && !out.contains(o))
                            .findFirst().orElse(null);
                    if (existing != null) {
                        out.add(existing);
                        continue;
                    }
                    try {
                        out.add(new Listener(a, l.protocol(), permits, ids, sessions));
                    } catch (IOException e) {
                        throw new IOException("cannot listen on " + Addresses.hostPort(a) + " (" + l.name() + "): " + e.getMessage(), e);
                    }
                }
            }
        } catch (IOException e) {
            for (Listener l : out) if (!old.contains(l)) l.close();
            throw e;
        }
        return out;
    }

    /** Hands every listener its settings, router and protocol from {@code g}, in bind's order. */
    private void serve(ProxyConfig config, Generation g, List<Listener> bound) {
        int i = 0;
        for (ListenerConfig l : config.listeners()) {
            Binding b = new Binding(config, l, g.router(l.router()), g.guard(), protocols.get(l.protocol()));
            for (int k = 0; k < l.addresses().size(); k++) bound.get(i++).serveWith(b);
        }
    }

    /**
     * Takes a new configuration without a restart (SIGHUP): routers, pools, servers, limits
     * and certificates are swapped at once; listeners are added and removed (one whose
     * address did not change keeps its socket). Established sessions keep their backend and
     * finish normally; a server removed from a pool gets no new sessions. If a new address
     * cannot be bound, nothing changes and this throws.
     */
    public void reload(ProxyConfig config) throws IOException {
        changing.lock();
        try {
            Generation previous = current;
            if (previous == null) throw new IOException("the server is stopping");
            List<Listener> bound = bind(config, listeners);
            Generation next = Generation.start(config, previous);
            serve(config, next, bound);
            for (Listener l : listeners) {
                if (!bound.contains(l)) {
                    l.close();
                    log.info("{} no longer listening on {}", l.protocol().id(), Addresses.hostPort(l.address()));
                }
            }
            for (Listener l : bound) {
                if (!listeners.contains(l)) {
                    l.start();
                    log.info("{} listening on {}", l.protocol().id(), Addresses.hostPort(l.address()));
                }
            }
            listeners = bound;
            permits.resize(config.maxConnections());
            sessions.watchdog().period(Sessions.periodFor(allLimits(config)));
            current = next;
            previous.close(next);
            log.info("reloaded {}: {} listeners, {} backends, {} routers", config.source(), config.listeners().size(),
                    config.backends().size(), config.routers().size());
        } finally {
            changing.unlock();
        }
    }

    private static List<Limits> allLimits(ProxyConfig config) {
        List<Limits> limits = new ArrayList<>(List.of(config.limits()));
        config.listeners().forEach(l -> limits.add(l.limits()));
        return limits;
    }

    /** Bound addresses, in config order (ports resolved when the config said 0). */
    public List<InetSocketAddress> addresses() {
        return listeners.stream().map(Listener::address).toList();
    }

    /** The first bound address of the listener with this name. */
    public InetSocketAddress address(String listenerName) {
        return listeners.stream().filter(l -> l.name().equals(listenerName)).findFirst()
                .map(Listener::address).orElseThrow(() -> new IllegalArgumentException("no listener " + listenerName));
    }

    public int activeSessions() { return sessions.count(); }

    /** The configuration in force. */
    public ProxyConfig config() { return current.config(); }

    /**
     * Graceful stop: no new connections; sessions get until drain-timeout to finish,
     * then whatever is left is stopped (sockets closed, waits interrupted).
     */
    @Override
    public void close() {
        Generation g;
        changing.lock();
        try {
            g = current;
            if (g == null) return;
            current = null;
            listeners.forEach(Listener::close);
        } finally {
            changing.unlock();
        }
        Duration drain = g.config().drainTimeout();
        if (sessions.count() > 0) log.info("draining {} sessions for up to {}", sessions.count(), drain);
        awaitNoSessions(drain);
        if (sessions.count() > 0) {
            log.info("closing {} sessions still open after the drain timeout", sessions.count());
            sessions.stopAll();
            // closed sockets and interrupts wake every session thread; give them a moment to log
            awaitNoSessions(Duration.ofSeconds(5));
        }
        sessions.close();
        g.close(null);
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
