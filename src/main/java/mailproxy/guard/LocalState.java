package mailproxy.guard;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Counters and texts in this process, each with an expiry. The table is bounded: past
 * {@code maxKeys} the expired keys go, then the soonest-expiring ones (the least worth
 * keeping: short failure windows before blocks and session counts), down to 90% so the
 * sweep runs once per many inserts. An attacker rotating addresses costs a sweep now and
 * then, never memory without bound.
 */
final class LocalState implements SharedState {
    private record Entry(long count, String text, long expiresAt) {}

    private final ConcurrentHashMap<String, Entry> map = new ConcurrentHashMap<>();
    private final InstantSource clock;
    private final int maxKeys;
    private final ReentrantLock sweeping = new ReentrantLock();

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

    private void bound() {
        if (map.size() <= maxKeys || !sweeping.tryLock()) return; // one sweeper at a time; the others go on
        try {
            long now = clock.millis();
            map.values().removeIf(e -> e.expiresAt <= now);
            int target = maxKeys - maxKeys / 10;
            if (map.size() <= target) return;
            List<Map.Entry<String, Entry>> all = new ArrayList<>(map.entrySet());
            all.sort(Comparator.comparingLong(x -> x.getValue().expiresAt));
            for (int i = 0; i < all.size() && map.size() > target; i++) {
                map.remove(all.get(i).getKey(), all.get(i).getValue());
            }
        } finally {
            sweeping.unlock();
        }
    }
}
