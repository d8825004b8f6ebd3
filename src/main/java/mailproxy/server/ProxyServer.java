package mailproxy.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import mailproxy.config.Limits;
import mailproxy.config.ListenerConfig;
import mailproxy.config.Protocol;
import mailproxy.config.ProxyConfig;
import mailproxy.metrics.Metrics;
import mailproxy.route.Pool;
import mailproxy.session.SessionFactory;
import mailproxy.session.SessionInfo;
import mailproxy.session.SessionMeters;
import mailproxy.trace.TraceSwitch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All listeners of the configuration in force ({@link ListenerSet}), their shared
 * connection permits, reloads and the stop; and the one face other packages see of the
 * running server (the admin's actions are {@link AdminActions}).
 */
public final class ProxyServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    private final Map<Protocol, SessionFactory> protocols = ProtocolRegistry.build();
    private final Permits permits;
    private final Sessions sessions;
    /** Held while the listeners and the generation change (a reload, the stop). */
    private final ReentrantLock changing = new ReentrantLock();
    private final ListenerSet listeners;
    private volatile Generation current;
    /** Every listener accepts: set once at the end of start. */
    private volatile boolean listening;
    private final Metrics metrics = new Metrics();
    private final TraceSwitch trace;
    /** Moving users on purpose (README, "Moving users"): the kicks, the admin's moves, a reload's rebalance. */
    private final Kicks kicks;
    private final Moves moves;
    private final mailproxy.route.Rebalance rebalance;
    private final AdminActions actions;

    private ProxyServer(ProxyConfig config) {
        this.permits = new Permits(config.maxConnections());
        this.sessions = new Sessions(allLimits(config));
        this.listeners = new ListenerSet(permits, sessions);
        this.trace = new TraceSwitch(config.trace());
        metrics.watchPools(() -> {
            Generation g = current;
            return g == null ? List.of() : g.pools().all();
        });
        metrics.watchMaxConnections(permits::size);
        metrics.watchRouters(() -> {
            Generation g = current;
            return g == null ? Map.of() : g.routers();
        });
        this.kicks = new Kicks(sessions, metrics, config.admin().maxScheduledKicks());
        this.moves = new Moves(() -> current, kicks, config.admin().maxUsersListed());
        this.rebalance = new mailproxy.route.Rebalance(kicks::rebalance);
        this.actions = new AdminActions(() -> current, sessions, kicks, moves);
    }

    /** Every pool tells the kicks of its users' moves (a pool of the same name after a reload is told once). */
    private void listenForMoves(Generation g) {
        for (Pool p : g.pools().all()) p.onMove(kicks);
    }

    /** Binds every listener (failing as a whole if one cannot bind) and starts accepting. */
    public static ProxyServer start(ProxyConfig config) throws IOException {
        ProtocolRegistry.prepare(config);
        ProxyServer server = new ProxyServer(config);
        List<Listener> bound;
        try {
            bound = server.listeners.bind(config);
        } catch (IOException e) {
            server.sessions.close();
            throw e;
        }
        Generation g = Generation.start(config, null);
        server.listenForMoves(g);
        server.serve(config, g, bound);
        server.current = g;
        server.listeners.take(bound);
        server.listening = true;
        return server;
    }

    /** Hands every listener its settings, router and protocol from {@code g}, in bind's order. */
    private void serve(ProxyConfig config, Generation g, List<Listener> bound) {
        int i = 0;
        for (ListenerConfig l : config.listeners()) {
            Binding b = new Binding(config, l, g.router(l.router()), g.guard(), protocols.get(l.protocol()),
                    new SessionMeters(metrics, l), trace);
            for (int k = 0; k < l.addresses().size(); k++) bound.get(i++).serveWith(b);
        }
    }

    /**
     * Takes a new configuration without a restart (SIGHUP): routers, pools, servers, limits
     * and certificates are swapped at once; listeners are added and removed (one whose
     * address did not change keeps its socket). Established sessions keep their backend and
     * finish normally; a server removed from a pool gets no new sessions, and where the pool
     * keeps its users on one server (user-hash) the sessions on it are kicked (README, "Why a
     * user stays on one server"). If a new address
     * cannot be bound, nothing changes and this throws.
     */
    public void reload(ProxyConfig config) throws IOException {
        changing.lock();
        try {
            Generation previous = current;
            if (previous == null) throw new IOException("the server is stopping");
            ProtocolRegistry.prepare(config);
            List<Listener> bound = listeners.bind(config);
            Generation next = Generation.start(config, previous);
            listenForMoves(next);
            serve(config, next, bound);
            listeners.take(bound);
            permits.resize(config.maxConnections());
            sessions.watchdog().period(Sessions.periodFor(allLimits(config)));
            trace.config(config.trace());
            current = next;
            loadedAt = java.time.Instant.now();
            lastReload = new ReloadResult(loadedAt, true, "reloaded " + config.source());
            previous.close(next);
            kicks.reloaded(previous.pools(), next.pools());
            rebalance.reloaded(previous.pools(), next.pools());
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
        return listeners.addresses();
    }

    /** The first bound address of the listener with this name. */
    public InetSocketAddress address(String listenerName) {
        return listeners.address(listenerName);
    }

    public int activeSessions() { return sessions.count(); }

    /** When the configuration in force was read (start or the last reload that took), for the status page. */
    public java.time.Instant configLoadedAt() { return loadedAt; }

    private volatile java.time.Instant loadedAt = java.time.Instant.now();

    /** How the last reload went, for the status page: when, whether it took, and its message (the refusal's reason). */
    public record ReloadResult(java.time.Instant at, boolean ok, String message) {}

    private volatile ReloadResult lastReload;

    /** The last reload's result, null when there was none since start. */
    public ReloadResult lastReload() { return lastReload; }

    /** A reload refused before or during {@link #reload}: the running config stays (mailproxy.Reloader says why). */
    public void reloadRefused(String why) {
        lastReload = new ReloadResult(java.time.Instant.now(), false, why);
    }

    /** The configuration in force. */
    public ProxyConfig config() { return current.config(); }

    // ---- for the admin listener (docs/ARCHITECTURE.md, "Observability")

    /** Every metric of this server. */
    public Metrics metrics() { return metrics; }

    /** Who is traced; the admin may switch users and client ranges on and off. */
    public TraceSwitch trace() { return trace; }

    /**
     * Why this proxy should get no new clients now, or null when it should: before every
     * listener accepts, while it stops (draining), and while a pool has no server that
     * is up and not draining for a protocol it serves.
     */
    public String notReady() {
        if (!listening) return "the listeners are not up yet";
        return actions.notReady();
    }

    /** The open sessions, oldest first. */
    public List<SessionInfo> sessions() {
        return actions.sessions();
    }

    /** Closes every open session of this login name (case-insensitive) now; how many. */
    public int closeUser(String user) {
        return actions.closeUser(user);
    }

    /**
     * Drains the pool servers at {@code hostPort} (a server's id, or the host:port of any
     * protocol it serves): no new sessions go there, open ones go on. A reload takes the
     * servers anew from the config, which ends the drain. The names of the drained
     * servers ("pool host:port"); empty when none matched.
     */
    public List<String> drain(String hostPort) {
        return actions.drain(hostPort);
    }

    /** What an admin action did: the HTTP status and the text to answer with. */
    public record Action(int status, String text) {}

    /**
     * {@link #drain}, and after {@code kickAfter} the sessions still open there are kicked
     * (README, "Moving users"), unless an undrain or a reload ended the drain before.
     */
    public Action drain(String hostPort, Duration kickAfter) {
        return actions.drain(hostPort, kickAfter);
    }

    /** Ends the admin's drain of the pool servers at {@code hostPort} (their pending kicks too); their names, empty when none matched. */
    public List<String> undrain(String hostPort) {
        return actions.undrain(hostPort);
    }

    /** POST /move: assigns {@code user} to {@code server} of {@code pool} (nulls: unassigned; the only user-hash pool). */
    public Action move(String user, String server, String pool, Duration kickAfter) {
        return moves.move(user, server, pool, kickAfter);
    }

    /** GET /users: who is assigned where (null server: anywhere; null pool: every user-hash pool), at most {@code limit}. */
    public Action users(String server, String pool, int limit) {
        return moves.users(server, pool, limit);
    }

    /** The pools in force with their servers' health, for the admin's status page; empty while stopping. */
    public List<PoolStatus> poolStatus() {
        Generation g = current;
        return g == null ? List.of() : g.pools().all().stream().map(PoolStatus::of).toList();
    }

    /** The pools as --check describes them, with live state (down, draining, sessions). */
    public String describePools() {
        Generation g = current;
        return g == null ? "" : g.pools().describe();
    }

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
            listeners.close();
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
        kicks.close();
        rebalance.close();
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
