package mailproxy.route;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import mailproxy.config.Backend;
import mailproxy.config.GuardConfig;
import mailproxy.config.Protocol;
import mailproxy.config.ProxyConfig;

/**
 * Every backend's {@link Pool}, built from the config, and the one {@link HealthChecker}
 * for all of them. On a reload the new Pools takes over each server whose pool name, host
 * and ports are unchanged with its state (up/down, open sessions, recent failures); servers
 * that are gone are drained, so sessions still on them go on but no new one starts.
 */
public final class Pools implements AutoCloseable {
    private final Map<String, Pool> pools;
    private final HealthChecker checker;
    /** The user assignments in Redis (mailproxy.state.redis), or null: each pool's own table. */
    private final RedisAffinity shared;

    private Pools(Map<String, Pool> pools, HealthChecker checker, RedisAffinity shared) {
        this.pools = pools;
        this.checker = checker;
        this.shared = shared;
    }

    /**
     * The pools of {@code cfg} with their health checks running. {@code previous} (may be
     * null) stops its checks; its pools stay usable by logins already holding them. With
     * mailproxy.state.redis the user assignments are shared in Redis (README, "Several
     * proxies"); the link is handed on while mailproxy.state is unchanged.
     */
    public static Pools start(ProxyConfig cfg, Pools previous) {
        RedisAffinity before = previous == null ? null : previous.shared;
        GuardConfig.State state = cfg.guard().state();
        RedisAffinity shared = state.redis().isEmpty() || !cfg.backends().values().stream().anyMatch(b -> shares(b, previous)) ? null
                : before != null && before.config().equals(state) ? before
                : new RedisAffinity(state);
        Pools p = build(cfg, previous, System::nanoTime, shared);
        if (previous != null) previous.close();
        if (before != null && before != shared) before.close();
        if (shared != null) shared.start();
        p.checker.start();
        return p;
    }

    /** The pools without health checks running, and assignments in this process: for --check, tests. */
    public static Pools build(ProxyConfig cfg, Pools previous) {
        return build(cfg, previous, System::nanoTime, null);
    }

    static Pools build(ProxyConfig cfg, Pools previous, LongSupplier clock) {
        return build(cfg, previous, clock, null);
    }

    static Pools build(ProxyConfig cfg, Pools previous, LongSupplier clock, RedisAffinity shared) {
        Map<String, Pool> pools = new LinkedHashMap<>();
        cfg.backends().values().stream().sorted((a, b) -> a.name().compareTo(b.name()))
                .forEach(b -> pools.put(b.name(), Pool.of(b, clock, previous, shared)));
        if (previous != null) {
            for (Pool old : previous.pools.values()) {
                for (PoolServer s : old.servers()) {
                    if (!carriedOver(pools, s)) s.drain();
                }
            }
        }
        return new Pools(pools, new HealthChecker(checks(pools.values()), cfg.limits()), shared);
    }

    /**
     * Whether a backend's assignments are worth sharing: several servers, and a protocol
     * balanced by user-hash (with one server no user can be on two).
     */
    static boolean sticky(Backend b) {
        return b.servers().size() >= 2 && hashesUsers(b);
    }

    /** Whether some protocol the backend serves is balanced by user-hash: its users have assignments. */
    static boolean hashesUsers(Backend b) {
        for (Protocol p : Protocol.values()) if (b.serves(p) && b.balance(p) == Backend.Balance.USER_HASH) return true;
        return false;
    }

    /**
     * Whether a backend's assignments are in Redis when it is set: {@link #sticky}, or the
     * pool of that name shared them before this reload and still balances by user-hash. A
     * reload that leaves one server keeps them shared, so that the users whose sessions are
     * still open on a removed server, through this proxy or another, are not sent to the one
     * left meanwhile (README, "Why a user stays on one server").
     */
    static boolean shares(Backend b, Pools previous) {
        if (sticky(b)) return true;
        Pool before = previous == null ? null : previous.get(b.name());
        return before != null && before.table() instanceof RedisAssignments && hashesUsers(b);
    }

    private static List<HealthChecker.Check> checks(Collection<Pool> pools) {
        List<HealthChecker.Check> out = new ArrayList<>();
        for (Pool pool : pools) {
            if (!pool.backend().pooling().health().on()) continue;
            for (PoolServer s : pool.servers()) {
                for (Protocol p : Protocol.values()) {
                    if (s.serves(p)) out.add(new HealthChecker.Check(s, p));
                }
            }
        }
        return out;
    }

    /** The server with this pool name, host and ports, or null. */
    PoolServer find(String pool, String host, int[] ports) {
        Pool p = pools.get(pool);
        if (p == null) return null;
        for (PoolServer s : p.servers()) {
            if (s.host().toLowerCase(Locale.ROOT).equals(host.toLowerCase(Locale.ROOT)) && Arrays.equals(ports(s), ports)) return s;
        }
        return null;
    }

    private static boolean carriedOver(Map<String, Pool> pools, PoolServer old) {
        Pool p = pools.get(old.pool());
        if (p == null) return false;
        for (PoolServer s : p.servers()) {
            if (s.host().equalsIgnoreCase(old.host()) && Arrays.equals(ports(s), ports(old))) return true;
        }
        return false;
    }

    private static int[] ports(PoolServer s) {
        int[] out = new int[Protocol.values().length];
        for (Protocol p : Protocol.values()) out[p.ordinal()] = s.serves(p) ? s.target(p).port() : -1;
        return out;
    }

    /** The pool of the backend with this name, or null. */
    public Pool get(String name) { return pools.get(name); }

    public Collection<Pool> all() { return pools.values(); }

    /** The health checker (for tests). */
    HealthChecker checker() { return checker; }

    /** Stops the health checks. Pools and servers stay usable; their up/down state stays as it was. */
    @Override
    public void close() {
        checker.close();
    }

    /** The proxy stops: also ends its Redis lease for the assignments, so the others stop counting its sessions now. */
    public void closeShared() {
        if (shared != null) shared.close();
    }

    /**
     * For --check and the admin: each pool, its policy per protocol, pool settings and
     * servers with weights, ports and any that are down or draining.
     */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (Pool pool : pools.values()) {
            Backend bk = pool.backend();
            Backend.Pooling pl = bk.pooling();
            b.append("pool ").append(pool.name()).append(':');
            String sep = " ";
            for (Protocol p : Protocol.values()) {
                if (!bk.serves(p)) continue;
                b.append(sep).append(p.id()).append(' ').append(name(bk.balance(p)));
                if (bk.proxyProtocol(p) != Backend.ProxyProtocol.OFF) b.append(" proxy-protocol ").append(name(bk.proxyProtocol(p)));
                sep = ", ";
            }
            b.append("; max-tries ").append(pl.maxTries());
            if (pl.maxFails() == 0) b.append("; no passive marking");
            else b.append("; down for ").append(PoolServer.human(pl.failTimeout())).append(" after ").append(pl.maxFails())
                    .append(" failure").append(pl.maxFails() == 1 ? "" : "s").append(" in ").append(PoolServer.human(pl.failWindow()));
            Backend.Health h = pl.health();
            if (h.on()) b.append("; checks every ").append(PoolServer.human(h.interval())).append(" (rise ").append(h.rise())
                    .append(", fall ").append(h.fall()).append(", timeout ").append(PoolServer.human(h.timeout()))
                    .append(h.tls() ? "" : ", no TLS").append(')');
            else b.append("; no health checks");
            b.append('\n');
            for (PoolServer s : pool.servers()) {
                b.append("  server ").append(s.host()).append(" weight ").append(s.weight());
                List<String> down = new ArrayList<>();
                for (Protocol p : Protocol.values()) {
                    if (!s.serves(p)) continue;
                    b.append(' ').append(p.id()).append(' ').append(s.target(p).port());
                    if (!s.up(p)) down.add(p.id());
                }
                if (!down.isEmpty()) b.append(" DOWN ").append(String.join(",", down));
                if (s.draining()) b.append(" DRAINING");
                if (s.active() > 0) b.append(" sessions ").append(s.active());
                b.append('\n');
            }
        }
        return b.toString();
    }

    private static String name(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
