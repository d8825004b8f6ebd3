package mailproxy.guard;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * This proxy's places under the connection and session limits, and its shares of those
 * counts in the state store. The proxy's own table ({@link #held}) is the truth; the store
 * is told each share whole, so what it missed while it did not answer is mended by telling
 * it again (docs/ARCHITECTURE.md, "The guard"). Thread-safe.
 */
final class Places {
    private final SharedState state;
    /** How long a share lives in the store after its last write (session-count-ttl). */
    private final Duration ttl;
    /** Places held per counter key: this proxy's share of each count. Bounded by the live sessions. */
    private final ConcurrentHashMap<String, Integer> held = new ConcurrentHashMap<>();
    /** Keys whose share may have missed the shared store (it did not answer): written again once it does. */
    private final Set<String> unsynced = ConcurrentHashMap.newKeySet();
    /**
     * A share is read, written to the store and recorded as one step per key (else two
     * sessions of one address could write their shares in the wrong order); a stripe of
     * keys per lock, held across the store's round trip (ReentrantLock: virtual threads).
     */
    private final ReentrantLock[] stripes = new ReentrantLock[64];

    Places(SharedState state, Duration ttl) {
        this.state = state;
        this.ttl = ttl;
        for (int i = 0; i < stripes.length; i++) stripes[i] = new ReentrantLock();
    }

    /**
     * A place under {@code key}'s limit: this proxy's share one higher, if the sum over
     * every proxy stays within {@code max}. Shares are absolute (SharedState#share): a place
     * given back while Redis did not answer is mended by writing the share again, and a
     * give-back can only lower this proxy's own share, never another proxy's.
     */
    boolean take(String key, int max) {
        ReentrantLock lock = stripe(key);
        lock.lock();
        try {
            int own = held.getOrDefault(key, 0) + 1;
            if (write(key, own, max) > max) return false;
            held.put(key, own);
            return true;
        } finally {
            lock.unlock();
        }
    }

    void giveBack(String key) {
        ReentrantLock lock = stripe(key);
        lock.lock();
        try {
            int own = held.getOrDefault(key, 0) - 1;
            if (own > 0) held.put(key, own);
            else held.remove(key);
            write(key, Math.max(0, own), -1);
        } finally {
            lock.unlock();
        }
    }

    /** Writes this proxy's share of {@code key} (under its lock); notes it for rewriting when the shared store did not take it. */
    private long write(String key, int own, long max) {
        long switches = state.switches();
        long total = state.share(key, own, max, ttl);
        if (state.degraded() || state.switches() != switches) unsynced.add(key);
        return total;
    }

    private ReentrantLock stripe(String key) {
        return stripes[(key.hashCode() & 0x7fffffff) % stripes.length];
    }

    /**
     * One beat of the refresher: renews this proxy's lease (if the store had forgotten it,
     * every share is written again), then, while the shared store answers, rewrites the
     * shares that missed it. Within one beat after Redis is back its counts are right again.
     */
    void beat() {
        if (!state.heartbeat()) unsynced.addAll(held.keySet());
        for (String key : unsynced) {
            if (state.degraded()) return;
            unsynced.remove(key);
            rewrite(key);
        }
    }

    /** Refreshes the expiry of every counter this proxy holds places on (a session may last days). */
    void refreshHeld() {
        for (String key : new ArrayList<>(held.keySet())) rewrite(key);
    }

    private void rewrite(String key) {
        ReentrantLock lock = stripe(key);
        lock.lock();
        try {
            write(key, held.getOrDefault(key, 0), -1);
        } finally {
            lock.unlock();
        }
    }
}
