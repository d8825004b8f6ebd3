package mailproxy.route;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import mailproxy.config.Backend;
import mailproxy.config.Protocol;

/**
 * The servers of one configured backend (a one-host backend is a pool of one), with the
 * balancing policy of each protocol. Safe for concurrent use.
 */
public final class Pool {
    private final String name;
    private final Backend backend;
    private final List<PoolServer> servers;
    private final Balancer[] balancers = new Balancer[Protocol.values().length];
    private final int maxTries;

    Pool(String name, Backend backend, List<PoolServer> servers, int maxTries) {
        this.name = name;
        this.backend = backend;
        this.servers = List.copyOf(servers);
        this.maxTries = maxTries;
        for (Protocol p : Protocol.values()) balancers[p.ordinal()] = Balancer.of(backend.balance(p), servers.size());
    }

    /** The pool of a configured backend; {@code previous} finds the servers whose state carries over (may be null). */
    static Pool of(Backend b, LongSupplier clock, Pools previous) {
        List<PoolServer> servers = new ArrayList<>();
        for (Backend.Server s : b.servers()) {
            int[] ports = new int[Protocol.values().length];
            for (Protocol p : Protocol.values()) ports[p.ordinal()] = b.port(s, p);
            PoolServer before = previous == null ? null : previous.find(b.name(), s.host(), ports);
            servers.add(new PoolServer(b.name(), servers.size(), s.host(), s.weight(), ports, b.forServer(s),
                    b.pooling(), clock, before));
        }
        return new Pool(b.name(), b, servers, b.pooling().maxTries());
    }

    /**
     * A pool of one server for one protocol, made per login for a server an auth_http
     * answer names (as nginx, Auth-Server/Auth-Port is one server): no checks, no passive
     * marking (the pool lives as long as the login).
     */
    public static Pool single(Target target, Protocol p) {
        int[] ports = new int[Protocol.values().length];
        ports[p.ordinal()] = target.port();
        Backend.Pooling pooling = new Backend.Pooling(0, Backend.Pooling.ONE_HOST.failWindow(),
                Backend.Pooling.ONE_HOST.failTimeout(), 1, Backend.Pooling.ONE_HOST.health());
        PoolServer s = new PoolServer(target.options().name(), 0, target.host(), 1, ports, target.options(),
                pooling, System::nanoTime, null);
        return new Pool(target.options().name(), target.options(), List.of(s), 1);
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
        List<PoolServer> eligible = new ArrayList<>(servers.size());
        List<PoolServer> live = new ArrayList<>(servers.size());
        for (PoolServer s : servers) {
            if (!s.serves(p) || s.draining()) continue;
            eligible.add(s);
            if (s.up(p)) live.add(s);
        }
        List<PoolServer> from = live.isEmpty() ? eligible : live;
        if (from.isEmpty()) return List.of();
        return List.copyOf(balancers[p.ordinal()].order(routingKey == null ? "" : routingKey, from, maxTries));
    }

    @Override
    public String toString() {
        return "Pool[" + name + " " + servers.stream().map(PoolServer::id).toList() + "]";
    }
}
