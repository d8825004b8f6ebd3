package mailproxy.route;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import mailproxy.config.Backend;
import mailproxy.config.Protocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One server of a {@link Pool}: where to connect per protocol, how many sessions it holds,
 * and whether it is up. Up and down are kept per protocol, since each is its own port:
 * a server is up for a protocol when its active checks say so (or it has none) and it is
 * not passively marked down after failed logins. Safe for concurrent use.
 */
public final class PoolServer {
    static final Logger log = LoggerFactory.getLogger("mailproxy.pool");

    private final String pool;
    private final int index;
    private final String host;
    private final int weight;
    private final Backend options;
    private final Target[] targets = new Target[Protocol.values().length];
    private final String id;
    private final long hashId;
    private final Backend.Pooling pooling;
    private final LongSupplier clock;
    /** Shared with this server's successor after a reload, so sessions keep counting right. */
    private final AtomicInteger active;
    private final ServerState[] states;
    private volatile boolean draining;

    /**
     * @param ports    per protocol (Protocol.ordinal()), 0 or less where the server does not serve it
     * @param previous the same server in the pools before a reload, whose state carries over; or null
     */
    PoolServer(String pool, int index, String host, int weight, int[] ports, Backend options,
               Backend.Pooling pooling, LongSupplier clock, PoolServer previous) {
        this.pool = pool;
        this.index = index;
        this.host = host;
        this.weight = weight;
        this.options = options;
        this.pooling = pooling;
        this.clock = clock;
        String first = null;
        for (Protocol p : Protocol.values()) {
            if (ports[p.ordinal()] > 0) {
                targets[p.ordinal()] = new Target(host, ports[p.ordinal()], options);
                if (first == null) first = targets[p.ordinal()].toString();
            }
        }
        if (first == null) throw new IllegalArgumentException("server " + host + " serves no protocol");
        this.id = first;
        this.hashId = UserHash.serverHash(id);
        this.active = previous == null ? new AtomicInteger() : previous.active;
        if (previous != null) {
            this.states = previous.states;
        } else {
            this.states = new ServerState[Protocol.values().length];
            for (int i = 0; i < states.length; i++) states[i] = new ServerState();
        }
    }

    /** Where to connect for a protocol: host, this server's port, options = the backend's; null when not served. */
    public Target target(Protocol p) { return targets[p.ordinal()]; }

    public boolean serves(Protocol p) { return targets[p.ordinal()] != null; }

    /**
     * "host:port" of the first protocol the server serves (IMAP, POP3, SMTP order): stable,
     * unique within its pool, the same for every protocol. It is the server's identity for
     * user-hash, so that a user's IMAP and POP3 sessions land on the same server.
     */
    public String id() { return id; }

    public String pool() { return pool; }

    public String host() { return host; }

    public int weight() { return weight; }

    /** Sessions now open to this server. */
    public int active() { return active.get(); }

    /**
     * A connection to this server opened: call it at connect, so that least-connections
     * sees logins under way too, and {@link #released()} once when it closes, whatever
     * the outcome.
     */
    public void connected() { active.incrementAndGet(); }

    /** A connection counted by {@link #connected()} closed. */
    public void released() { active.decrementAndGet(); }

    /** No new sessions from now on; open ones go on (reload, admin). */
    public void drain() { draining = true; }

    /** New sessions may come again (admin); a reload also ends a drain. */
    public void undrain() { draining = false; }

    public boolean draining() { return draining; }

    /**
     * What the admin's status page shows of one protocol of this server.
     *
     * @param since when up/down last changed, null when it never did
     * @param why what changed it, null when it never did
     * @param lastCheck the last active check: "ok" or why it failed; null before the first
     */
    public record Health(boolean up, Instant since, String why, Instant lastCheckAt, String lastCheck) {}

    public Health health(Protocol p) {
        boolean up = up(p);
        ServerState s = states[p.ordinal()];
        s.lock.lock();
        try {
            return new Health(up, s.changedAt, s.changeReason, s.lastCheckAt, s.lastCheck);
        } finally {
            s.lock.unlock();
        }
    }

    /** Called under s.lock when up/down changes. */
    private static void changed(ServerState s, String why) {
        s.changedAt = Instant.now();
        s.changeReason = why;
    }

    /** Up for a protocol: not down by active checks nor by passive marking. */
    public boolean up(Protocol p) {
        ServerState s = states[p.ordinal()];
        long now = clock.getAsLong();
        boolean back = false;
        boolean up;
        s.lock.lock();
        try {
            if (s.passiveDown && now - s.downUntil >= 0) {
                s.passiveDown = false;
                s.failures.clear();
                back = true;
                changed(s, "fail-timeout " + human(pooling.failTimeout()) + " over");
            }
            up = s.checkedUp && !s.passiveDown;
        } finally {
            s.lock.unlock();
        }
        if (back && up) log.info("pool {} server {} {} up: fail-timeout {} over", pool, label(p), p.id(), human(pooling.failTimeout()));
        else if (back) log.info("pool {} server {} {}: fail-timeout {} over, still down by its health checks", pool, label(p), p.id(),
                human(pooling.failTimeout()));
        return up;
    }

    /**
     * Passive marking: a connect that failed, a greeting not in time, a backend that broke
     * during login. After max-fails of them within fail-window the server is down for
     * fail-timeout (nginx upstream max_fails / fail_timeout). {@code reason} goes to the log.
     */
    public void failed(Protocol p, String reason) {
        if (pooling.maxFails() == 0) return;
        ServerState s = states[p.ordinal()];
        long now = clock.getAsLong();
        int n = 0;
        s.lock.lock();
        try {
            s.failures.removeOlderThan(now - pooling.failWindow().toNanos());
            s.failures.add(now, pooling.maxFails());
            if (s.passiveDown) {
                s.downUntil = now + pooling.failTimeout().toNanos(); // failed again while down (fallback): stay down
            } else if (s.failures.size() >= pooling.maxFails()) {
                n = s.failures.size();
                s.passiveDown = true;
                s.downUntil = now + pooling.failTimeout().toNanos();
                s.failures.clear();
                changed(s, n + " failure" + (n == 1 ? "" : "s") + " in " + human(pooling.failWindow()) + " (" + reason + ")");
            }
        } finally {
            s.lock.unlock();
        }
        if (n > 0) {
            log.info("pool {} server {} {} down for {}: {} failure{} in {} ({})", pool, label(p), p.id(),
                    human(pooling.failTimeout()), n, n == 1 ? "" : "s", human(pooling.failWindow()), reason);
        }
    }

    /** A login through this server went well: its recent failures are forgiven, a passive down is lifted. */
    public void succeeded(Protocol p) {
        ServerState s = states[p.ordinal()];
        boolean lifted;
        s.lock.lock();
        try {
            s.failures.clear();
            lifted = s.passiveDown;
            s.passiveDown = false;
            if (lifted) changed(s, "login succeeded");
        } finally {
            s.lock.unlock();
        }
        if (lifted) log.info("pool {} server {} {} up: login succeeded", pool, label(p), p.id());
    }

    /** One active check's result: rise good ones in a row bring the server up, fall bad ones take it down. */
    void checked(Protocol p, boolean ok, String reason) {
        Backend.Health h = pooling.health();
        ServerState s = states[p.ordinal()];
        boolean changed = false;
        s.lock.lock();
        try {
            s.lastCheckAt = Instant.now();
            s.lastCheck = ok ? "ok" : reason;
            if (ok) {
                s.bad = 0;
                if (!s.checkedUp && ++s.good >= h.rise()) {
                    s.checkedUp = true;
                    s.good = 0;
                    changed = true;
                }
            } else {
                s.good = 0;
                if (s.checkedUp && ++s.bad >= h.fall()) {
                    s.checkedUp = false;
                    s.bad = 0;
                    changed = true;
                }
            }
            if (changed) {
                int n = ok ? h.rise() : h.fall();
                changed(s, reason + " (" + n + " check" + (n == 1 ? "" : "s") + ")");
            }
        } finally {
            s.lock.unlock();
        }
        if (changed) {
            int n = ok ? h.rise() : h.fall();
            log.info("pool {} server {} {} {}: {} ({} check{})", pool, label(p), p.id(), ok ? "up" : "down", reason, n, n == 1 ? "" : "s");
        }
    }

    int index() { return index; }

    long hashId() { return hashId; }

    Backend options() { return options; }

    Backend.Pooling pooling() { return pooling; }

    private String label(Protocol p) {
        Target t = target(p);
        return t == null ? id : t.toString();
    }

    /** 10s, 1500ms, 2m: as a config file would say it. */
    static String human(Duration d) {
        long ms = d.toMillis();
        if (ms % 60_000 == 0 && ms >= 60_000) return ms / 60_000 + "m";
        if (ms % 1000 == 0) return ms / 1000 + "s";
        return ms + "ms";
    }

    @Override
    public String toString() {
        return "PoolServer[" + pool + " " + id + "]";
    }
}
