package mailproxy.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import mailproxy.config.Protocol;
import mailproxy.route.CallLimiter;
import mailproxy.route.Pool;
import mailproxy.route.PoolServer;
import mailproxy.route.Router;

/**
 * Every metric the proxy keeps, in one Prometheus registry of its own (not the client's
 * global default: two proxies in one JVM, as in tests, must not share counters). The
 * families are built once; a session counts through label children resolved once per
 * listener and reload (session.SessionMeters), so counting is an add on a striped
 * counter, with no label lookup. No label carries a user name or anything a client chose:
 * labels are config names (listener, router, pool, server) and fixed words.
 */
public final class Metrics {
    /** Seconds: 1 ms to 30 s, for router answers, backend connects and logins. */
    private static final double[] LATENCY = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Gauge sessionsActive;
    private final Counter sessions;
    private final Counter logins;
    private final Histogram router;
    private final Histogram backendConnect;
    private final Histogram backendLogin;
    private final Counter relayBytes;
    private final Counter guard;
    private final Counter tls;
    private final Counter kicks;

    /**
     * No exemplars (trace ids beside samples, for OpenTelemetry): mailproxy has no traces
     * to link, and the client's default sampler runs on every increment, a relay read included.
     */
    public Metrics() {
        // the gauge too: two exemplar samplings per session, and now and then a task for
        // their rate limit on the client's scheduler thread (bench/RESULTS.md, "Issue 22 ... third pass")
        sessionsActive = Gauge.builder().withoutExemplars().name("mailproxy_sessions_active")
                .help("Sessions open now").labelNames("protocol", "listener").register(registry);
        sessions = Counter.builder().withoutExemplars().name("mailproxy_sessions")
                .help("Sessions ended, by how they ended (the outcome= of the session log line)")
                .labelNames("protocol", "listener", "outcome").register(registry);
        logins = Counter.builder().withoutExemplars().name("mailproxy_logins")
                .help("Login attempts; result: success, failed (wrong credentials, refused, blocked) or error "
                        + "(router, backend or shared state unavailable)")
                .labelNames("protocol", "listener", "mechanism", "result").register(registry);
        router = Histogram.builder().withoutExemplars().name("mailproxy_router_duration_seconds").unit(Unit.SECONDS)
                .help("Time a router took to answer a login").labelNames("router")
                .classicOnly().classicUpperBounds(LATENCY).register(registry);
        backendConnect = Histogram.builder().withoutExemplars().name("mailproxy_backend_connect_duration_seconds").unit(Unit.SECONDS)
                .help("Connecting to a backend server, until its first greeting byte (implicit TLS included)")
                .labelNames("protocol", "pool").classicOnly().classicUpperBounds(LATENCY).register(registry);
        backendLogin = Histogram.builder().withoutExemplars().name("mailproxy_backend_login_duration_seconds").unit(Unit.SECONDS)
                .help("The backend login dialogue (greeting to its answer)")
                .labelNames("protocol", "pool").classicOnly().classicUpperBounds(LATENCY).register(registry);
        relayBytes = Counter.builder().withoutExemplars().name("mailproxy_relay_bytes")
                .help("Bytes relayed after login; direction up = client to backend, down = backend to client")
                .labelNames("protocol", "listener", "direction").register(registry);
        guard = Counter.builder().withoutExemplars().name("mailproxy_guard_actions")
                .help("What the guard did: throttled (a failed login's reply delayed), too-many-connections, "
                        + "too-many-sessions, blocked, state-unavailable, table-full (a connection refused while the "
                        + "in-process table is full of blocks)")
                .labelNames("protocol", "listener", "action").register(registry);
        tls = Counter.builder().withoutExemplars().name("mailproxy_tls_handshakes")
                .help("TLS handshakes; side client (with the mail client) or backend; result ok or failed")
                .labelNames("protocol", "listener", "side", "result").register(registry);
        kicks = Counter.builder().withoutExemplars().name("mailproxy_pool_kicks")
                .help("Sessions closed on purpose so their clients reconnect to their user's new server; reason: move "
                        + "(admin /move), drain (/drain with kick-after), rebalance (a reload added a server)")
                .labelNames("pool", "reason").register(registry);
    }

    /**
     * Pool servers up (1) or down (0) per protocol they serve, and their open sessions,
     * read from {@code pools} at each scrape (the pools in force change with reloads).
     */
    public void watchPools(Supplier<Collection<Pool>> pools) {
        GaugeWithCallback.builder().name("mailproxy_backend_up")
                .help("1 when a pool server takes new sessions for a protocol (up, not draining), else 0")
                .labelNames("pool", "server", "protocol")
                .callback(cb -> {
                    for (Pool pool : pools.get()) {
                        for (PoolServer s : pool.servers()) {
                            for (Protocol p : Protocol.values()) {
                                if (!s.serves(p)) continue;
                                cb.call(s.up(p) && !s.draining() ? 1 : 0, pool.name(), s.id(), p.id());
                            }
                        }
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("mailproxy_backend_sessions")
                .help("Connections open now to a pool server (logins under way included)")
                .labelNames("pool", "server")
                .callback(cb -> {
                    for (Pool pool : pools.get()) {
                        for (PoolServer s : pool.servers()) cb.call(s.active(), pool.name(), s.id());
                    }
                }).register(registry);
        // README, "Why a user stays on one server"
        GaugeWithCallback.builder().name("mailproxy_pool_assignments")
                .help("Users a user-hash pool keeps on one server (open sessions, or idle less than affinity-ttl)")
                .labelNames("pool")
                .callback(cb -> {
                    for (Pool pool : pools.get()) cb.call(pool.assignments(), pool.name());
                }).register(registry);
        CounterWithCallback.builder().name("mailproxy_pool_assignment_moves")
                .help("Assignments given up, by reason: down (server down), drain (draining or removed), move (the operator), ttl (idle)")
                .labelNames("pool", "reason")
                .callback(cb -> {
                    for (Pool pool : pools.get()) {
                        for (String reason : Pool.MOVE_REASONS) cb.call(pool.moves(reason), pool.name(), reason);
                    }
                }).register(registry);
        CounterWithCallback.builder().name("mailproxy_pool_split_sessions")
                .help("Sessions opened on one server while their user had sessions open on another (should stay 0)")
                .labelNames("pool")
                .callback(cb -> {
                    for (Pool pool : pools.get()) cb.call(pool.splits(), pool.name());
                }).register(registry);
        CounterWithCallback.builder().name("mailproxy_pool_assignment_store_fallbacks")
                .help("Times the shared assignment store (mailproxy.state.redis) did not answer and the pool's assignments went local")
                .labelNames("pool")
                .callback(cb -> {
                    for (Pool pool : pools.get()) cb.call(pool.storeFallbacks(), pool.name());
                }).register(registry);
    }

    /**
     * The bound on each auth_http router's requests at once (README, "Reconnect storms"),
     * read from {@code routers} at each scrape (the routers in force change with reloads).
     * The static router has none: it does no I/O.
     */
    public void watchRouters(Supplier<Map<String, Router>> routers) {
        GaugeWithCallback.builder().name("mailproxy_router_calls_in_flight")
                .help("Requests of an auth_http router to its auth server under way now (at most max-concurrent)")
                .labelNames("router")
                .callback(cb -> routers.get().forEach((name, r) -> {
                    if (r.limiter() != null) cb.call(r.limiter().inFlight(), name);
                })).register(registry);
        GaugeWithCallback.builder().name("mailproxy_router_calls_queued")
                .help("Logins waiting for a request to an auth_http router's auth server now (at most queue)")
                .labelNames("router")
                .callback(cb -> routers.get().forEach((name, r) -> {
                    if (r.limiter() != null) cb.call(r.limiter().queued(), name);
                })).register(registry);
        CounterWithCallback.builder().name("mailproxy_router_refused")
                .help("Logins given the temporary failure because an auth_http router was busy: queue-full "
                        + "(max-concurrent in flight and the queue full) or queue-timeout (waited queue-timeout)")
                .labelNames("router", "reason")
                .callback(cb -> routers.get().forEach((name, r) -> {
                    if (r.limiter() == null) return;
                    for (String reason : CallLimiter.REFUSALS) cb.call(r.limiter().refused(reason), name, reason);
                })).register(registry);
    }

    /**
     * max-connections in force (a reload may change it), read at each scrape: beside
     * mailproxy_sessions_active it tells how close the proxy is to making clients wait
     * (config/prometheus/mailproxy-alerts.yml, MailproxyNearMaxConnections).
     */
    public void watchMaxConnections(IntSupplier maxConnections) {
        GaugeWithCallback.builder().name("mailproxy_max_connections")
                .help("Connections the proxy holds at most over all listeners (max-connections)")
                .callback(cb -> cb.call(maxConnections.getAsInt())).register(registry);
    }

    public Gauge sessionsActive() { return sessionsActive; }

    public Counter sessions() { return sessions; }

    public Counter logins() { return logins; }

    public Histogram router() { return router; }

    public Histogram backendConnect() { return backendConnect; }

    public Histogram backendLogin() { return backendLogin; }

    public Counter relayBytes() { return relayBytes; }

    public Counter guard() { return guard; }

    public Counter tls() { return tls; }

    /** Sessions kicked, by pool and reason (README, "Moving users"). */
    public Counter kicks() { return kicks; }

    /** The label values of a guard action, as the metric has them. */
    public static final List<String> GUARD_ACTIONS =
            List.of("throttled", "too-many-connections", "too-many-sessions", "blocked", "state-unavailable", "table-full");

    /** Content-Type of {@link #write}. */
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    /** Every metric in the Prometheus text format (version 0.0.4). */
    public void write(OutputStream out) throws IOException {
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
    }
}
