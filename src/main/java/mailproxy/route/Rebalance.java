package mailproxy.route;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import mailproxy.config.Backend;
import mailproxy.config.Protocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After a reload that added servers to a user-hash pool (README, "Moving users"): the
 * assigned users whose hash now picks a new server move there, each once it has no session
 * open, so that no user is ever on two servers. Idle users move at once; the others wait in
 * a pending list (bounded: one entry per assigned user), settled as their kicked sessions
 * give their places back ({@code affinity-rebalance = kick}) and every {@link #TICK} (the
 * last session of a user that was left alone ends whenever it ends). Moving means
 * forgetting the assignment with reason {@code rebalance}, which only takes an idle one;
 * the user's next login then goes where the hash says. A server that was down and comes
 * back is no new server: nothing moves (its users stay where they went until idle for
 * affinity-ttl). Owned by the server; safe for concurrent use.
 */
public final class Rebalance implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("mailproxy.pool");
    /** How often the users still waiting for their last session to end are looked at. */
    static final long TICK = TimeUnit.SECONDS.toNanos(1);

    /**
     * Kicks, in one pass over the sessions, those of each user of {@code serverByUser} on
     * that user's server; {@code released} is told the user as each one's place is given
     * back. How many.
     */
    @FunctionalInterface
    public interface Kicker {
        int kick(String pool, Map<String, String> serverByUser, java.util.function.Consumer<String> released);
    }

    private record Pending(String pool, String user, String from) {}

    private final Kicker kicker;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final ScheduledThreadPoolExecutor timer;
    private final ReentrantLock ticking = new ReentrantLock();
    private ScheduledFuture<?> tick;
    private volatile Pools pools;

    public Rebalance(Kicker kicker) {
        this.kicker = kicker;
        this.timer = new ScheduledThreadPoolExecutor(1, Thread.ofVirtual().name("rebalance").factory());
        timer.setRemoveOnCancelPolicy(true);
    }

    /** The pools in force changed from {@code before} to {@code now} (a reload). */
    public void reloaded(Pools before, Pools now) {
        this.pools = now;
        for (Pool pool : now.all()) {
            Pool old = before.get(pool.name());
            Assignments table = pool.table();
            if (old == null || table == null || old.table() != table) continue;
            Protocol p = hashed(pool);
            if (p == null) continue;
            Set<String> was = new HashSet<>();
            for (PoolServer s : old.servers()) was.add(s.id());
            Set<String> added = new HashSet<>();
            for (PoolServer s : pool.servers()) if (!was.contains(s.id())) added.add(s.id());
            if (!added.isEmpty()) rebalance(pool, table, p, added);
        }
        if (!pending.isEmpty()) startTicking();
    }

    /** The first protocol the pool balances by user-hash, or null. */
    private static Protocol hashed(Pool pool) {
        for (Protocol p : Protocol.values()) {
            if (pool.backend().serves(p) && pool.balance(p) == Backend.Balance.USER_HASH) return p;
        }
        return null;
    }

    private void rebalance(Pool pool, Assignments table, Protocol p, Set<String> added) {
        List<PoolServer> eligible = new ArrayList<>();
        for (PoolServer s : pool.servers()) if (s.serves(p) && !s.draining()) eligible.add(s);
        if (eligible.isEmpty()) return;
        boolean kick = pool.backend().pooling().affinity().rebalance() == Backend.Affinity.Rebalance.KICK;
        UserHash hash = new UserHash();
        int now = 0;
        int waiting = 0;
        Map<String, String> toKick = new java.util.HashMap<>();
        for (Assignments.Assigned a : table.users(null, pool.backend().pooling().affinity().maxUsers())) {
            if (added.contains(a.server())) continue;
            PoolServer choice = hash.order(a.user(), eligible, 1).getFirst();
            if (!added.contains(choice.id())) continue;
            Pending pe = new Pending(pool.name(), a.user(), a.server());
            if (a.sessions() == 0 && settled(pe)) {
                now++;
                continue;
            }
            pending.put(key(pe), pe);
            waiting++;
            if (kick) toKick.put(a.user(), a.server());
        }
        String name = pool.name();
        int kicked = toKick.isEmpty() ? 0 : kicker.kick(name, toKick, user -> {
            Pending pe = pending.get(name + "\0" + user);
            if (pe != null) settle(pe);
        });
        log.info("pool {}: new server{} {}: {} idle user{} moved, {} move{} once their sessions end{}", pool.name(),
                added.size() == 1 ? "" : "s", added, now, now == 1 ? "" : "s", waiting, waiting == 1 ? "s" : "",
                kick ? " (" + kicked + " sessions kicked)" : "");
    }

    private static String key(Pending pe) { return pe.pool() + "\0" + pe.user(); }

    /** Forgets the user's assignment if it has no session open; true when it no longer points at the old server. */
    private boolean settled(Pending pe) {
        Pools ps = pools;
        Pool pool = ps == null ? null : ps.get(pe.pool());
        Assignments table = pool == null ? null : pool.table();
        if (table == null) return true; // the pool is gone: nothing left to move
        table.forget(pe.user(), pe.from(), Assignments.Forgotten.REBALANCE);
        return !pe.from().equals(table.assigned(pe.user()));
    }

    private void settle(Pending pe) {
        if (settled(pe)) pending.remove(key(pe), pe);
    }

    private void startTicking() {
        ticking.lock();
        try {
            if (tick == null || tick.isDone()) tick = timer.scheduleWithFixedDelay(this::tick, TICK, TICK, TimeUnit.NANOSECONDS);
        } finally {
            ticking.unlock();
        }
    }

    private void tick() {
        for (Pending pe : List.copyOf(pending.values())) settle(pe);
        if (!pending.isEmpty()) return;
        ticking.lock();
        try {
            if (pending.isEmpty() && tick != null) {
                tick.cancel(false);
                tick = null;
            }
        } finally {
            ticking.unlock();
        }
    }

    /** Users still waiting for their last session to end. */
    public int pending() { return pending.size(); }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
