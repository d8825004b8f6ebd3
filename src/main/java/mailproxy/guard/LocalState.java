package mailproxy.guard;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counters and texts in this process, each with an expiry. The table is bounded: past
 * {@code maxKeys} the expired keys go, then the least worth keeping (remembered password
 * tags, then failure counts, lowest first, soonest-expiring first among equals), down to
 * 90% so the sweep runs once per many inserts. A block is never evicted by load: an
 * attacker rotating addresses (IPv6 /64s) must not push its own block out. When only
 * blocks are left and they fill the table, it is {@link #full()}, and the guard refuses new
 * connections until blocks expire: it degrades towards refusing, never towards forgetting.
 * (Connection and session counts take no room here: see {@link #share}.) Blocks cannot
 * grow without bound either: each needs block-after failures on a connection, and new
 * connections are refused while the table is full.
 */
final class LocalState implements SharedState {
    private static final Logger log = LoggerFactory.getLogger("guard");
    /** Keys a sweep never evicts. */
    private static final String BLOCK = "block:";
    /** Evicted first: the least worth keeping (a text before a count, fewer failures first, sooner expiry first). */
    private static final Comparator<Map.Entry<String, Entry>> LEAST_WORTH =
            Comparator.<Map.Entry<String, Entry>>comparingLong(x -> x.getValue().count)
                    .thenComparingLong(x -> x.getValue().expiresAt);

    private record Entry(long count, String text, long expiresAt) {}

    private final ConcurrentHashMap<String, Entry> map = new ConcurrentHashMap<>();
    private final InstantSource clock;
    private final int maxKeys;
    private final ReentrantLock sweeping = new ReentrantLock();
    /** Set by a sweep that found the table full of blocks; cleared by one that found room. */
    private volatile boolean full;
    /** While full, when the next sweep for expired blocks may run (at most one a second). */
    private volatile long nextCheck;

    LocalState(InstantSource clock, int maxKeys) {
        this.clock = clock;
        this.maxKeys = maxKeys;
    }

    @Override
    public long increment(String key, long delta, Duration ttl) {
        long now = clock.millis();
        Entry e = map.compute(key, (k, old) -> {
            boolean fresh = old == null || old.expiresAt <= now;
            long n = (fresh ? 0 : old.count) + delta;
            return n <= 0 ? null : new Entry(n, null, fresh ? now + ttl.toMillis() : old.expiresAt);
        });
        if (e == null) return 0;
        bound();
        return e.count;
    }

    /**
     * In this process the only share is this process's own, which its owner (the guard's
     * table of held permits) already keeps: nothing to store, and nothing an attacker's
     * flood could evict.
     */
    @Override
    public long share(String key, long own, long max, Duration ttl) {
        return own;
    }

    @Override
    public long count(String key) {
        Entry e = live(key);
        return e == null ? 0 : e.count;
    }

    @Override
    public String get(String key) {
        Entry e = live(key);
        if (e == null) return null;
        return e.text != null ? e.text : Long.toString(e.count);
    }

    @Override
    public void put(String key, String value, Duration ttl) {
        map.put(key, new Entry(0, value, clock.millis() + ttl.toMillis()));
        bound();
    }

    @Override
    public void delete(String key) {
        map.remove(key);
    }

    /** Keys held now, expired ones included until the next sweep or read (for tests). */
    int size() {
        return map.size();
    }

    @Override
    public void close() {
        map.clear();
    }

    private Entry live(String key) {
        Entry e = map.get(key);
        if (e != null && e.expiresAt <= clock.millis()) {
            map.remove(key, e);
            return null;
        }
        return e;
    }

    /**
     * Full of blocks: nothing new fits. While full, one call a second sweeps the expired
     * keys, so the table says so as soon as blocks expire.
     */
    @Override
    public boolean full() {
        if (full && clock.millis() >= nextCheck) sweep();
        return full;
    }

    private void bound() {
        // while full, a sweep a second: each would find the same blocks
        if (map.size() > maxKeys && (!full || clock.millis() >= nextCheck)) sweep();
    }

    private void sweep() {
        if (!sweeping.tryLock()) return; // one sweeper at a time; the others go on
        try {
            long now = clock.millis();
            nextCheck = now + 1000;
            map.values().removeIf(e -> e.expiresAt <= now);
            int target = maxKeys - maxKeys / 10;
            if (map.size() > target) {
                List<Map.Entry<String, Entry>> evictable = new ArrayList<>();
                for (Map.Entry<String, Entry> e : map.entrySet()) if (!e.getKey().startsWith(BLOCK)) evictable.add(e);
                evictable.sort(LEAST_WORTH);
                for (int i = 0; i < evictable.size() && map.size() > target; i++) {
                    map.remove(evictable.get(i).getKey(), evictable.get(i).getValue());
                }
            }
            boolean nowFull = map.size() > target;
            if (nowFull != full) {
                full = nowFull;
                if (nowFull) {
                    log.warn("the guard's table is full of blocks ({} keys, local-max-keys = {}): new connections are"
                            + " refused until blocks expire", map.size(), maxKeys);
                } else {
                    log.info("the guard's table has room again: new connections are served");
                }
            }
        } finally {
            sweeping.unlock();
        }
    }
}
