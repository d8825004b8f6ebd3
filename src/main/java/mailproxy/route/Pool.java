package mailproxy.route;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import mailproxy.config.Backend;
import mailproxy.config.Protocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The servers of one configured backend (a one-host backend is a pool of one), with the
 * balancing policy of each protocol. Safe for concurrent use.
 */
public final class Pool {
    private static final Logger log = LoggerFactory.getLogger("mailproxy.pool");
    /** The reasons an assignment is given up, as the metric labels them. */
    public static final List<String> MOVE_REASONS =
            java.util.Arrays.stream(Assignments.Forgotten.values()).map(Assignments.Forgotten::label).toList();

    private final String name;
    private final Backend backend;
    private final List<PoolServer> servers;
    private final Balancer[] balancers = new Balancer[Protocol.values().length];
    private final int maxTries;
    /** Where each user is, for the protocols balanced by user-hash; null for a pool made per login. */
    private final Assignments assignments;
    /** Told of moves of this pool's users; goes with {@link #assignments} to the next pool of the same name. */
    private List<MoveListener> moveListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Ids of the servers a reload took out of this pool once another took its place; null while in force. */
    private volatile java.util.Set<String> leftAtReload;

    Pool(String name, Backend backend, List<PoolServer> servers, int maxTries, Assignments assignments) {
        this.name = name;
        this.backend = backend;
        this.servers = List.copyOf(servers);
        this.maxTries = maxTries;
        this.assignments = assignments;
        for (Protocol p : Protocol.values()) balancers[p.ordinal()] = Balancer.of(backend.balance(p), servers.size());
    }

    /** The pool of a configured backend; {@code previous} finds the servers whose state carries over (may be null). */
    static Pool of(Backend b, LongSupplier clock, Pools previous, RedisAffinity shared) {
        List<PoolServer> servers = new ArrayList<>();
        for (Backend.Server s : b.servers()) {
            int[] ports = new int[Protocol.values().length];
            for (Protocol p : Protocol.values()) ports[p.ordinal()] = b.port(s, p);
            PoolServer before = previous == null ? null : previous.find(b.name(), s.host(), ports);
            servers.add(new PoolServer(b.name(), servers.size(), s.host(), s.weight(), ports, b.forServer(s),
                    b.pooling(), clock, before));
        }
        // a reload keeps the users where they are: the table goes to the pool of the same name,
        // and an assignment to a server that left is given up at that user's next login
        Pool before = previous == null ? null : previous.get(b.name());
        Backend.Affinity a = b.pooling().affinity();
        Assignments assignments = shared != null && Pools.shares(b, previous) ? shared.store(b.name(), a.ttl(), a.maxUsers(), clock)
                : before != null && before.assignments instanceof LocalAssignments l ? l
                : new LocalAssignments(a.ttl(), a.maxUsers(), clock);
        assignments.settings(a.ttl(), a.maxUsers());
        Pool pool = new Pool(b.name(), b, servers, b.pooling().maxTries(), assignments);
        if (before != null && before.assignments == assignments) {
            pool.moveListeners = before.moveListeners; // registered once with the table, which carries over
        } else {
            List<MoveListener> told = pool.moveListeners;
            assignments.onMove((user, from, to) -> told.forEach(l -> l.moved(b.name(), user, from, to)));
        }
        return pool;
    }

    // ---- moving users on purpose (README, "Moving users")

    /** Told of every move of a user of a pool (admin POST /move here, or in another proxy sharing the store). */
    public interface MoveListener {
        /** On any thread, must not block; {@code from} or {@code to} may be null (unassigned). */
        void moved(String pool, String user, String from, String to);
    }

    /** Registers {@code l} once for this pool and the pools of the same name after reloads. */
    public void onMove(MoveListener l) {
        if (assignments != null && !moveListeners.contains(l)) moveListeners.add(l);
    }

    /** A reload put {@code successor} in this pool's place: the servers it lacks are remembered. */
    public void retire(Pool successor) {
        leftAtReload = servers.stream().map(PoolServer::id).filter(id -> successor.byId(id) == null)
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
    }

    /**
     * Whether a reload took {@code s} out of this pool, for a login this pool routed before
     * it: asked once its place on {@code s} is taken, so either the reload's kick pass saw
     * the place or this sees the reload (README, "Why a user stays on one server").
     */
    public boolean leftAtReload(PoolServer s) {
        java.util.Set<String> left = leftAtReload;
        return left != null && left.contains(s.id());
    }

    /** True when some protocol of this pool is balanced by user-hash: its users have assignments. */
    public boolean assigns() {
        return assignments != null && Pools.hashesUsers(backend);
    }

    /**
     * Assigns {@code user} (a routing key) to the server with id {@code to}, or with null
     * forgets the assignment so the hash decides; the listeners close the sessions left on
     * the old server. The server the user was assigned to before, or null.
     */
    public String move(String user, String to) {
        if (assignments == null) throw new IllegalStateException("pool " + name + " keeps no assignments");
        if (to != null && byId(to) == null) throw new IllegalArgumentException("no server " + to + " in pool " + name);
        return assignments.move(user, to);
    }

    /** The id of the server {@code user} (a routing key) is assigned to, or null. */
    public String assigned(String user) {
        return assignments == null ? null : assignments.assigned(user);
    }

    /** One user's place as the admin's GET /users lists it: sessions open now (0: idle within affinity-ttl). */
    public record Placed(String user, String server, int sessions) {}

    /** The users assigned to the server with id {@code server} (null: to any), at most {@code limit}. */
    public List<Placed> users(String server, int limit) {
        if (assignments == null) return List.of();
        return assignments.users(server, limit).stream().map(a -> new Placed(a.user(), a.server(), a.sessions())).toList();
    }

    /** The table of assignments (null for a pool made per login), for a reload's rebalance. */
    Assignments table() { return assignments; }

    /**
     * A pool of one server for one protocol, made per login for a server an auth_http
     * answer names (as nginx, Auth-Server/Auth-Port is one server): no checks, no passive
     * marking (the pool lives as long as the login).
     */
    public static Pool single(Target target, Protocol p) {
        int[] ports = new int[Protocol.values().length];
        ports[p.ordinal()] = target.port();
        Backend.Pooling pooling = new Backend.Pooling(0, Backend.Pooling.ONE_HOST.failWindow(),
                Backend.Pooling.ONE_HOST.failTimeout(), 1, Backend.Pooling.ONE_HOST.health(),
                Backend.Pooling.ONE_HOST.affinity());
        PoolServer s = new PoolServer(target.options().name(), 0, target.host(), 1, ports, target.options(),
                pooling, System::nanoTime, null);
        return new Pool(target.options().name(), target.options(), List.of(s), 1, null);
    }

    public String name() { return name; }

    /** The backend's options (protocol sections, pool settings); per-server TLS is in each target's options. */
    public Backend backend() { return backend; }

    public List<PoolServer> servers() { return servers; }

    /** Servers a login tries at most, the first included. */
    public int maxTries() { return maxTries; }

    public Backend.Balance balance(Protocol p) { return backend.balance(p); }

    /**
     * The servers a login should try, best first, at most {@link #maxTries()}: the live ones
     * (up for {@code p}, not draining) in the policy's order, so that a down server's users
     * take the next server in their own order. When no server is live, every server that is
     * not draining, in the policy's order: a check may lag behind a recovery, and trying is
     * better than refusing. Empty only when the pool does not serve {@code p} or every server
     * is draining.
     *
     * @param routingKey the lower-cased login name ({@link LoginRequest#routingKey()}); only
     *                   user-hash uses it
     */
    public List<PoolServer> candidates(String routingKey, Protocol p) {
        return choose(routingKey, p).servers();
    }

    /**
     * {@link #candidates} and why the first is first, for the audit line's route field:
     * {@code hash} (the policy's order; for user-hash, no assignment), {@code assigned},
     * {@code moved-down}, {@code moved-drain} (the assignment was given up for that), or the
     * policy's name where it is not user-hash.
     */
    public record Choice(List<PoolServer> servers, String why) {}

    /** See {@link #candidates}. */
    public Choice choose(String routingKey, Protocol p) {
        List<PoolServer> eligible = new ArrayList<>(servers.size());
        List<PoolServer> live = new ArrayList<>(servers.size());
        for (PoolServer s : servers) {
            if (!s.serves(p) || s.draining()) continue;
            eligible.add(s);
            if (s.up(p)) live.add(s);
        }
        List<PoolServer> from = live.isEmpty() ? eligible : live;
        if (from.isEmpty()) return new Choice(List.of(), "-");
        List<PoolServer> order = balancers[p.ordinal()].order(routingKey == null ? "" : routingKey, from, maxTries);
        if (!sticky(routingKey, p)) {
            Backend.Balance policy = backend.balance(p);
            return new Choice(List.copyOf(order), policy == Backend.Balance.USER_HASH ? "hash"
                    : policy.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        }
        String assigned = assignments.assigned(routingKey);
        String why = "hash";
        if (assigned != null) {
            PoolServer a = byId(assigned);
            if (a == null || a.draining()) {
                assignments.forget(routingKey, assigned, Assignments.Forgotten.DRAIN);
                why = "moved-drain";
            } else if (!from.contains(a)) {
                // down: its sessions went with it; the user's next choice keeps them from now on
                if (a.serves(p)) {
                    assignments.forget(routingKey, assigned, Assignments.Forgotten.DOWN);
                    why = "moved-down";
                }
            } else {
                order = first(a, order);
                why = "assigned";
            }
        }
        if (log.isDebugEnabled()) log.debug("pool {} {} user {} to {} ({})", name, p.id(), mailproxy.wire.LogSafe.value(routingKey),
                order.getFirst().id(), why);
        return new Choice(List.copyOf(order), why);
    }

    /**
     * A connection to {@code s} for {@code p} opens (at connect, so that logins under way
     * count): its place in the server's sessions and, where user-hash balances {@code p},
     * in the user's assignment. Release it once when the connection closes.
     */
    public SessionHold connected(String routingKey, PoolServer s, Protocol p) {
        return connected(routingKey, s, p, java.util.Set.of());
    }

    /**
     * As {@link #connected(String, PoolServer, Protocol)}, with the race rule (README,
     * "Several proxies"): when the user has sessions open on another server of this pool
     * (through any proxy sharing the store) that is not in {@code tried}, the hold is on that
     * server instead ({@link SessionHold#server()}, route "elsewhere"), even if this proxy's
     * checks say it is down or it is draining: sessions open there prove it was alive a
     * moment ago, and a draining server keeps the users it has until their sessions end or
     * are kicked. When that server was tried by this login and failed, the hold is
     * {@linkplain SessionHold#refused() refused}: the login gets the protocol's temporary
     * failure rather than a second server for the same user; so is it when that server left
     * the pool at a reload, until the sessions there have ended (a reload kicks this proxy's,
     * {@code server.Kicks}). Only when that server does not serve {@code p}, or the user's
     * sessions moved again in between, does the session open on {@code s}: a split, counted
     * once the backend accepts it.
     */
    public SessionHold connected(String routingKey, PoolServer s, Protocol p, java.util.Set<PoolServer> tried) {
        if (!sticky(routingKey, p)) {
            s.connected();
            return new SessionHold(s, Assignments.NONE, null, null);
        }
        Assignments.Hold held = assignments.open(routingKey, s.id());
        String there = held.elsewhere();
        Runnable split = null;
        if (there != null) {
            PoolServer o = byId(there);
            // a server a reload took out of the pool: its sessions here are being kicked
            // (server.Kicks), another proxy's end when that proxy reloads; until then a second
            // server would split the user, so the login waits (README, "Why a user stays on one server")
            if (o == null) return SessionHold.refused(there, "which a reload removed from pool " + name);
            if (o != s && o.serves(p)) {
                if (tried.contains(o)) return SessionHold.refused(o.id(), "which failed this login");
                Assignments.Hold moved = assignments.open(routingKey, o.id());
                if (moved.elsewhere() == null) {
                    o.connected();
                    return new SessionHold(o, moved, "elsewhere", null);
                }
            }
            split = () -> assignments.split(routingKey, s.id(), there);
            held = Assignments.NONE;
        }
        s.connected();
        return new SessionHold(s, held, null, split);
    }

    /** Sessions opened on one server while their user had sessions open on another (should stay 0). */
    public long splits() { return assignments == null ? 0 : assignments.splits(); }

    /** Times the shared assignment store (Redis) became unreachable and this pool went local (0 without one). */
    public long storeFallbacks() { return assignments instanceof RedisAssignments r ? r.fallbacks() : 0; }

    /** Users assigned to a server now (0 without user-hash). */
    public int assignments() { return assignments == null ? 0 : assignments.size(); }

    /** Assignments given up since start for a reason of {@link #MOVE_REASONS}. */
    public long moves(String reason) {
        if (assignments == null) return 0;
        return assignments.forgotten(Assignments.Forgotten.valueOf(reason.toUpperCase(java.util.Locale.ROOT)));
    }

    /**
     * Sticky assignment applies: user-hash for this protocol and a user to key it by. The key
     * is the routing key, which is the routed user lower-cased wherever a pool is reached: the
     * static router passes the login name on, and auth_http names one server, a pool made per
     * login ({@link #single}) that keeps no assignments.
     */
    private boolean sticky(String routingKey, Protocol p) {
        return assignments != null && backend.balance(p) == Backend.Balance.USER_HASH && routingKey != null && !routingKey.isEmpty();
    }

    private PoolServer byId(String id) {
        for (PoolServer s : servers) if (s.id().equals(id)) return s;
        return null;
    }

    /** {@code a}, then the rest of {@code order} without it, at most maxTries. */
    private List<PoolServer> first(PoolServer a, List<PoolServer> order) {
        List<PoolServer> out = new ArrayList<>(order.size() + 1);
        out.add(a);
        for (PoolServer s : order) if (s != a && out.size() < maxTries) out.add(s);
        return out;
    }

    @Override
    public String toString() {
        return "Pool[" + name + " " + servers.stream().map(PoolServer::id).toList() + "]";
    }
}
