package mailproxy.session;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import mailproxy.config.ListenerConfig;
import mailproxy.metrics.Metrics;

/**
 * One listener's label children of every metric, resolved once when the listener gets its
 * settings (start, reload): a session counts with an add on a data point it already holds,
 * never a label lookup or a string built per session. Per login, the mechanism and the
 * pool are looked up by their name in a small map of this listener's own.
 */
public final class SessionMeters {
    /** Indexes into {@link #guard}, in the order of {@link Metrics#GUARD_ACTIONS}. */
    static final int THROTTLED = 0, TOO_MANY_CONNECTIONS = 1, TOO_MANY_SESSIONS = 2, BLOCKED = 3, STATE_UNAVAILABLE = 4,
            TABLE_FULL = 5;
    /** Indexes into a mechanism's login counters. */
    static final int SUCCESS = 0, FAILED = 1, ERROR = 2;
    private static final String[] RESULTS = {"success", "failed", "error"};

    private final Metrics metrics;
    private final String protocol;
    private final String listener;
    final GaugeDataPoint active;
    private final CounterDataPoint[] ended;
    final CounterDataPoint up;
    final CounterDataPoint down;
    final CounterDataPoint[] guard;
    final CounterDataPoint clientTlsOk;
    final CounterDataPoint clientTlsFailed;
    final CounterDataPoint backendTlsOk;
    final CounterDataPoint backendTlsFailed;
    final DistributionDataPoint router;
    private final Map<String, CounterDataPoint[]> logins = new ConcurrentHashMap<>();
    private final Map<String, DistributionDataPoint[]> pools = new ConcurrentHashMap<>();

    public SessionMeters(Metrics m, ListenerConfig l) {
        this.metrics = m;
        this.protocol = l.protocol().id();
        this.listener = l.name();
        active = m.sessionsActive().labelValues(protocol, listener);
        Outcome[] outcomes = Outcome.values();
        ended = new CounterDataPoint[outcomes.length];
        for (Outcome o : outcomes) ended[o.ordinal()] = m.sessions().labelValues(protocol, listener, o.toString());
        up = m.relayBytes().labelValues(protocol, listener, "up");
        down = m.relayBytes().labelValues(protocol, listener, "down");
        guard = new CounterDataPoint[Metrics.GUARD_ACTIONS.size()];
        for (int i = 0; i < guard.length; i++) guard[i] = m.guard().labelValues(protocol, listener, Metrics.GUARD_ACTIONS.get(i));
        clientTlsOk = m.tls().labelValues(protocol, listener, "client", "ok");
        clientTlsFailed = m.tls().labelValues(protocol, listener, "client", "failed");
        backendTlsOk = m.tls().labelValues(protocol, listener, "backend", "ok");
        backendTlsFailed = m.tls().labelValues(protocol, listener, "backend", "failed");
        router = m.router().labelValues(l.router());
        // the mechanisms a login names as auth_http's Auth-Method; others come on first use
        for (String mech : new String[] {"plain", "none", "apop", "cram-md5", "external"}) login(mech, -1);
    }

    void ended(Outcome o) { ended[o.ordinal()].inc(); }

    /** A login attempt's result; {@code mechanism} is ours (Credentials.method or an offered mechanism), never raw client text. */
    void login(String mechanism, int result) {
        CounterDataPoint[] c = logins.get(mechanism);
        if (c == null) {
            c = logins.computeIfAbsent(mechanism, k -> {
                CounterDataPoint[] r = new CounterDataPoint[RESULTS.length];
                for (int i = 0; i < r.length; i++) r[i] = metrics.logins().labelValues(protocol, listener, k, RESULTS[i]);
                return r;
            });
        }
        if (result >= 0) c[result].inc();
    }

    /** [connect, login] latency of a pool's servers for this listener's protocol. */
    DistributionDataPoint[] pool(String name) {
        DistributionDataPoint[] p = pools.get(name);
        if (p != null) return p;
        return pools.computeIfAbsent(name, k -> new DistributionDataPoint[] {
                metrics.backendConnect().labelValues(protocol, k), metrics.backendLogin().labelValues(protocol, k)});
    }

    static double seconds(long nanos) { return nanos / 1e9; }
}
