package mailproxy.guard;

import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redis when it answers, this process's table when it does not. The first failure logs
 * one warning and switches every call to the local table; from then on one call per
 * retry interval tries Redis again (the others do not wait for it), and the first that
 * succeeds logs one line and switches back. Failure counts made during the outage stay
 * local and are not merged: the throttle is approximate for one window after a switch.
 * Connection and session counts are mended instead: they are shares this proxy writes
 * whole ({@link SharedState#share}), and the guard writes again every share that missed
 * Redis once it answers ({@link Guard}).
 */
final class FallbackState implements SharedState {
    private static final Logger log = LoggerFactory.getLogger("guard");

    private final SharedState remote;
    private final SharedState local;
    private final String where;
    private final InstantSource clock;
    private final long retryMillis;
    private final AtomicBoolean down = new AtomicBoolean();
    private final AtomicLong nextTry = new AtomicLong();
    private final AtomicLong switches = new AtomicLong();

    FallbackState(SharedState remote, String where, SharedState local, InstantSource clock, Duration retryInterval) {
        this.remote = remote;
        this.where = where;
        this.local = local;
        this.clock = clock;
        this.retryMillis = retryInterval.toMillis();
    }

    private <T> T call(Function<SharedState, T> op) {
        if (down.get()) {
            long due = nextTry.get();
            // only the one call that moves the retry time on tries Redis; the rest go local
            if (clock.millis() < due || !nextTry.compareAndSet(due, clock.millis() + retryMillis)) {
                return op.apply(local);
            }
        }
        try {
            T result = op.apply(remote);
            // counted before the switch, so whoever sees "not degraded" also sees the count move
            if (down.get()) switches.incrementAndGet();
            if (down.compareAndSet(true, false)) {
                log.info("redis {} is reachable again: guard counters are shared again", where);
            }
            return result;
        } catch (StateUnavailableException e) {
            nextTry.set(clock.millis() + retryMillis);
            if (down.compareAndSet(false, true)) {
                switches.incrementAndGet();
                log.warn("redis {} unreachable ({}): guard counters are local to this proxy until it is back;"
                        + " trying again every {} ms", where, e.getCause() == null ? e.getMessage() : e.getCause().toString(),
                        retryMillis);
            }
            return op.apply(local);
        }
    }

    @Override
    public long increment(String key, long delta, Duration ttl) {
        return call(s -> s.increment(key, delta, ttl));
    }

    @Override
    public long share(String key, long own, long max, Duration ttl) {
        return call(s -> s.share(key, own, max, ttl));
    }

    @Override
    public boolean heartbeat() {
        return call(SharedState::heartbeat);
    }

    @Override
    public boolean degraded() {
        return down.get();
    }

    /** The local table is only in use while Redis is down. */
    @Override
    public boolean full() {
        return down.get() && local.full();
    }

    @Override
    public long switches() {
        return switches.get();
    }

    @Override
    public long count(String key) {
        return call(s -> s.count(key));
    }

    @Override
    public String get(String key) {
        return call(s -> s.get(key));
    }

    @Override
    public void put(String key, String value, Duration ttl) {
        call(s -> {
            s.put(key, value, ttl);
            return null;
        });
    }

    @Override
    public void delete(String key) {
        call(s -> {
            s.delete(key);
            return null;
        });
    }

    /**
     * Whether Redis is in use now: one read of a key nobody writes, which notices Redis
     * going away (or, while it is down and a retry is due, coming back) before the answer.
     */
    @Override
    public boolean shared() {
        count("probe");
        return !down.get();
    }

    @Override
    public void close() {
        try {
            remote.close();
        } finally {
            local.close();
        }
    }
}
