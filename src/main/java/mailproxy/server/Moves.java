package mailproxy.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import mailproxy.config.Protocol;
import mailproxy.route.Pool;
import mailproxy.route.PoolServer;
import mailproxy.wire.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin's moves of users (README, "Moving users"): POST /move, GET /users, and the
 * kick-after of POST /drain. Answers as the admin shows them; the sessions are kicked by
 * {@link Kicks}.
 */
final class Moves {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    private final Supplier<Generation> current;
    private final Kicks kicks;
    private final int maxListed;

    Moves(Supplier<Generation> current, Kicks kicks, int maxListed) {
        this.current = current;
        this.kicks = kicks;
        this.maxListed = maxListed;
    }

    /** POST /move?user=U[&server=S][&pool=P][&kick-after=D]. */
    ProxyServer.Action move(String user, String server, String poolName, Duration kickAfter) {
        Generation g = current.get();
        if (g == null) return new ProxyServer.Action(503, "stopping\n");
        Pool pool;
        try {
            pool = pool(g, poolName);
        } catch (Refusal r) {
            return r.action;
        }
        String key = user.toLowerCase(Locale.ROOT); // assignments are by routing key, the lower-cased login name
        String to = null;
        if (server != null) {
            PoolServer s = find(pool, server);
            if (s == null) return new ProxyServer.Action(404, "no server " + LogSafe.text(server) + " in pool " + pool.name() + "\n");
            if (s.draining()) return new ProxyServer.Action(409, "server " + s.id() + " is draining: no user moves there\n");
            to = s.id();
        }
        String from;
        try {
            from = kicks.move(pool, key, to, kickAfter);
        } catch (Kicks.TooMany e) {
            return new ProxyServer.Action(503, e.getMessage() + "\n");
        }
        String where = to == null ? "unassigned (the hash decides)" : "to " + to;
        log.info("moved user {} of pool {} from {} {} (admin{})", LogSafe.value(key), pool.name(), from == null ? "-" : from,
                where, kickAfter.isZero() ? "" : ", kick-after " + kickAfter.toMillis() + "ms");
        String kicked = from == null || from.equals(to) ? "" : "; its sessions on " + from
                + (kickAfter.isZero() ? " are kicked now" : " are kicked after " + kickAfter.toMillis() + "ms");
        return new ProxyServer.Action(200, "user " + LogSafe.value(key) + " of pool " + pool.name() + ": from "
                + (from == null ? "-" : from) + " " + where + kicked + "\n");
    }

    /** GET /users[?server=S][&pool=P][&limit=N]: one line per assigned user. */
    ProxyServer.Action users(String server, String poolName, int limit) {
        Generation g = current.get();
        if (g == null) return new ProxyServer.Action(503, "stopping\n");
        List<Pool> pools = new ArrayList<>();
        if (poolName != null) {
            try {
                pools.add(pool(g, poolName));
            } catch (Refusal r) {
                return r.action;
            }
        } else {
            for (Pool p : g.pools().all()) if (p.assigns()) pools.add(p);
        }
        int n = Math.min(limit, maxListed);
        StringBuilder b = new StringBuilder();
        boolean found = server == null;
        for (Pool pool : pools) {
            String id = null;
            if (server != null) {
                PoolServer s = find(pool, server);
                if (s == null) continue;
                found = true;
                id = s.id();
            }
            List<Pool.Placed> users = new ArrayList<>(pool.users(id, n));
            users.sort(Comparator.comparing(Pool.Placed::user));
            for (Pool.Placed u : users) {
                b.append("user=").append(LogSafe.value(u.user())).append(" pool=").append(pool.name()).append(" server=")
                        .append(u.server()).append(" sessions=").append(u.sessions()).append('\n');
            }
            n -= users.size();
            if (n <= 0) break;
        }
        if (!found) return new ProxyServer.Action(404, "no pool server " + LogSafe.text(server) + "\n");
        return new ProxyServer.Action(200, b.toString());
    }

    /** After a drain: the sessions still on each drained server are kicked after {@code grace}. */
    ProxyServer.Action drain(String hostPort, Duration grace, List<PoolServer> drained) {
        List<String> names = new ArrayList<>();
        try {
            for (PoolServer s : drained) {
                kicks.drain(s.pool(), s.id(), grace, () -> s.draining() && inForce(s));
                names.add(s.pool() + " " + s.id());
            }
        } catch (Kicks.TooMany e) {
            return new ProxyServer.Action(503, "draining " + String.join(", ", names) + "; " + e.getMessage() + "\n");
        }
        log.info("sessions still on {} are kicked after {}ms (admin)", names, grace.toMillis());
        return new ProxyServer.Action(200, "draining " + String.join(", ", names) + " (until the next reload); "
                + "sessions still open are kicked after " + grace.toMillis() + "ms\n");
    }

    /**
     * Whether {@code s} is the server of its id in the pools in force: a reload builds its
     * servers anew, which ends the admin's drain and its kicks (README, "Moving users"),
     * while {@code s} itself stays draining.
     */
    private boolean inForce(PoolServer s) {
        Generation g = current.get();
        Pool pool = g == null ? null : g.pools().get(s.pool());
        return pool != null && pool.servers().contains(s);
    }

    /** After an undrain: the drained servers' pending kicks are cancelled. */
    void undrain(List<PoolServer> back) {
        for (PoolServer s : back) {
            if (kicks.undrain(s.pool(), s.id())) log.info("kicks of {} {} cancelled (undrain)", s.pool(), s.id());
        }
    }

    /** The named pool, or the only one that assigns users; a refusal names what is wrong. */
    private static Pool pool(Generation g, String name) {
        if (name != null) {
            Pool p = g.pools().get(name);
            if (p == null) throw new Refusal(404, "no pool " + LogSafe.text(name) + "\n");
            if (!p.assigns()) throw new Refusal(400, "pool " + p.name() + " balances no protocol by user-hash: it keeps no users\n");
            return p;
        }
        List<Pool> assigning = g.pools().all().stream().filter(Pool::assigns).toList();
        if (assigning.isEmpty()) throw new Refusal(404, "no pool balances by user-hash\n");
        if (assigning.size() > 1) {
            throw new Refusal(400, "several pools balance by user-hash ("
                    + String.join(", ", assigning.stream().map(Pool::name).toList()) + "): name one with pool=\n");
        }
        return assigning.getFirst();
    }

    /** The server of {@code pool} with this id, or the host:port of any protocol it serves; null when none. */
    static PoolServer find(Pool pool, String hostPort) {
        for (PoolServer s : pool.servers()) {
            if (s.id().equalsIgnoreCase(hostPort)) return s;
            for (Protocol p : Protocol.values()) {
                if (s.serves(p) && s.target(p).toString().equalsIgnoreCase(hostPort)) return s;
            }
        }
        return null;
    }

    /** A request that cannot be done: its answer. */
    private static final class Refusal extends RuntimeException {
        final ProxyServer.Action action;

        Refusal(int status, String text) {
            super(text, null, false, false);
            this.action = new ProxyServer.Action(status, text);
        }
    }
}
