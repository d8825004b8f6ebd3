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
 * succeeds logs one line and switches back. Counts made during the outage stay local and
 * are not merged: limits are approximate for one window after a switch.
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
            if (down.compareAndSet(true, false)) {
                log.info("redis {} is reachable again: guard counters are shared again", where);
            }
            return result;
        } catch (StateUnavailableException e) {
            nextTry.set(clock.millis() + retryMillis);
            if (down.compareAndSet(false, true)) {
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
    public long addToCounter(String key, long delta, Duration ttl) {
        return call(s -> s.addToCounter(key, delta, ttl));
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
