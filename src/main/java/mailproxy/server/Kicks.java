package mailproxy.server;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import mailproxy.metrics.Metrics;
import mailproxy.route.Pool;
import mailproxy.route.PoolServer;
import mailproxy.route.Pools;
import mailproxy.session.LiveSession;
import mailproxy.wire.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closing sessions on purpose so their clients reconnect to their user's new server
 * (README, "Moving users"): the sessions of a moved user, of a drained server after its
 * kick-after, of users a reload rebalanced. A kick now is done on the caller's thread
 * ({@link LiveSession#kick} does not block); a kick after a grace waits on a timer of one
 * scheduler thread, at most {@code max} of them at once. Owned by the {@link ProxyServer}.
 */
final class Kicks implements Pool.MoveListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("mailproxy.pool");

    /** Why sessions are kicked: the metric's reason label. */
    enum Reason {
        MOVE, DRAIN, REBALANCE;

        String label() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    /** Thrown when {@code max} kicks wait already: the request changes nothing. */
    static final class TooMany extends RuntimeException {
        TooMany(int max) {
            super(max + " kicks are waiting for their kick-after already (admin.max-scheduled-kicks)");
        }
    }

    private final Sessions sessions;
    private final Metrics metrics;
    private final int max;
    private final ScheduledThreadPoolExecutor timer;
    private final AtomicInteger waiting = new AtomicInteger();
    /** The pending kick of each drained server (pool, server id), cancelled by an undrain. */
    private final Map<String, ScheduledFuture<?>> drains = new ConcurrentHashMap<>();

    Kicks(Sessions sessions, Metrics metrics, int max) {
        this.sessions = sessions;
        this.metrics = metrics;
        this.max = max;
        this.timer = new ScheduledThreadPoolExecutor(1, Thread.ofVirtual().name("kicks").factory());
        timer.setRemoveOnCancelPolicy(true);
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /**
     * Moves {@code user} of {@code pool} to the server {@code to} (null: the hash decides),
     * now or after {@code grace}; the sessions left on the old server are kicked as the move
     * happens. With a grace the move itself waits (README, "Moving users"): until then the
     * user's new sessions still go where the open ones are, so that the user is never on two
     * servers, and every proxy sharing the store kicks at the same moment. The server the user
     * is assigned to now, or null.
     *
     * @throws TooMany when a grace is asked for and {@code max} kicks wait already
     */
    String move(Pool pool, String user, String to, Duration grace) {
        if (grace.isZero()) return pool.move(user, to);
        reserve();
        String from = pool.assigned(user);
        timer.schedule(() -> {
            waiting.decrementAndGet();
            try {
                pool.move(user, to);
            } catch (RuntimeException e) {
                log.warn("the move of user {} of pool {} after its kick-after failed: {}", LogSafe.value(user),
                        pool.name(), e.toString());
            }
        }, grace.toNanos(), TimeUnit.NANOSECONDS);
        return from;
    }

    /**
     * Told of a move (here or, with a shared store, by another proxy): this proxy's sessions
     * of the user on any other server than {@code to} (with {@code to} null: on
     * {@code from}) are kicked now.
     */
    @Override
    public void moved(String pool, String user, String from, String to) {
        if (to == null && from == null) return;
        Predicate<LiveSession.Placement> left = p -> p.pool().equals(pool) && user.equals(p.user())
                && (to != null ? !p.server().equals(to) : p.server().equals(from));
        kick(left, Reason.MOVE, null);
    }

    /**
     * The sessions still open on the drained server {@code server} of {@code pool} are kicked
     * after {@code grace}, if it is still draining then ({@code stillDraining}); an
     * {@link #undrain} before cancels it.
     *
     * @throws TooMany when {@code max} kicks wait already
     */
    void drain(String pool, String server, Duration grace, java.util.function.BooleanSupplier stillDraining) {
        reserve();
        String key = pool + " " + server;
        Runnable kick = () -> {
            waiting.decrementAndGet();
            drains.remove(key);
            if (stillDraining.getAsBoolean()) {
                kick(p -> p.pool().equals(pool) && p.server().equals(server), Reason.DRAIN, null);
            }
        };
        ScheduledFuture<?> before = drains.put(key, timer.schedule(kick, grace.toNanos(), TimeUnit.NANOSECONDS));
        cancel(before);
    }

    /** Cancels the pending kick of a drained server; true when there was one. */
    boolean undrain(String pool, String server) {
        return cancel(drains.remove(pool + " " + server));
    }

    private boolean cancel(ScheduledFuture<?> f) {
        if (f == null || !f.cancel(false)) return false;
        waiting.decrementAndGet();
        return true;
    }

    /**
     * Kicks now, in one pass, this proxy's sessions in {@code pool} of each user of
     * {@code serverByUser} on that user's server; {@code released} is told the user on each
     * session's thread once its place is given back, before its client is told to reconnect.
     * How many.
     */
    int rebalance(String pool, Map<String, String> serverByUser, java.util.function.Consumer<String> released) {
        int n = 0;
        for (LiveSession s : sessions.all()) {
            LiveSession.Placement p = s.placement();
            if (p == null || !p.pool().equals(pool) || !p.server().equals(serverByUser.get(p.user()))) continue;
            String user = p.user();
            if (s.kick(() -> released.accept(user))) {
                n++;
                metrics.kicks().labelValues(pool, Reason.REBALANCE.label()).inc();
            }
        }
        if (n > 0) log.info("kicked {} sessions in pool {} (rebalance)", n, pool);
        return n;
    }

    /**
     * A reload changed the pools from {@code before} to {@code now}: in each pool that keeps
     * its users on one server, this proxy's sessions on a server that left it are kicked now,
     * as a drain with kick-after 0 does, so that its users' next logins, refused while those
     * sessions are open (route.Pool#connected), find them ended (README, "Why a user stays on
     * one server"). One line per removed server. A pool that is gone altogether is left
     * alone: no login reaches it any more.
     */
    void reloaded(Pools before, Pools now) {
        for (Pool old : before.all()) {
            Pool pool = now.get(old.name());
            if (pool == null || !pool.assigns()) continue;
            old.retire(pool); // first: a login still placing itself on a removed server then sees it
            String pn = pool.name();
            for (PoolServer s : old.servers()) {
                if (!old.leftAtReload(s)) continue;
                String id = s.id();
                int n = kick(p -> p.pool().equals(pn) && p.server().equals(id), Reason.DRAIN, null, false);
                log.info("pool {}: server {} left the pool at a reload: {} session{} on it kicked", pn, id, n, n == 1 ? "" : "s");
            }
        }
    }

    private int kick(Predicate<LiveSession.Placement> which, Reason why, Runnable released) {
        return kick(which, why, released, true);
    }

    /** {@code each}: a line per session kicked and one for the count; else the caller says it. */
    private int kick(Predicate<LiveSession.Placement> which, Reason why, Runnable released, boolean each) {
        int n = 0;
        String pool = null;
        for (LiveSession s : sessions.all()) {
            LiveSession.Placement p = s.placement();
            if (p == null || !which.test(p)) continue;
            if (s.kick(released == null ? () -> {} : released)) {
                n++;
                pool = p.pool();
                metrics.kicks().labelValues(p.pool(), why.label()).inc();
                if (each || log.isDebugEnabled()) {
                    String line = "kicked session {} of user {} on {} {} ({})";
                    Object[] args = {s.info().id(), LogSafe.value(p.user()), p.pool(), p.server(), why.label()};
                    if (each) log.info(line, args);
                    else log.debug(line, args);
                }
            }
        }
        if (n > 1 && each) log.info("kicked {} sessions in pool {} ({})", n, pool, why.label());
        return n;
    }

    private void reserve() {
        if (waiting.incrementAndGet() > max) {
            waiting.decrementAndGet();
            throw new TooMany(max);
        }
    }

    /** Whether {@code n} more kicks may wait now (checked before a drain changes anything). */
    boolean room(int n) { return waiting.get() + n <= max; }

    /** Kicks waiting for their grace now. */
    int waiting() { return waiting.get(); }

    /** Drops the kicks still waiting: a stopping server closes every session anyway. */
    @Override
    public void close() {
        timer.shutdownNow();
    }
}
