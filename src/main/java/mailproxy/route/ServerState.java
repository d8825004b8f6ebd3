package mailproxy.route;

import java.time.Instant;
import java.util.concurrent.locks.ReentrantLock;

/** Up/down of one server for one protocol; fields guarded by {@link #lock}. */
final class ServerState {
    final ReentrantLock lock = new ReentrantLock();
    /** Active checks' verdict; a server counts as up until its checks say otherwise. */
    boolean checkedUp = true;
    int good;
    int bad;
    /** Passive marking: down until downUntil (System.nanoTime scale). */
    boolean passiveDown;
    long downUntil;
    final Failures failures = new Failures();
    /** For the admin's status page: when up/down last changed and why (null: never, up since start). */
    Instant changedAt;
    String changeReason;
    /** The last active check: its result and when (null: none yet). */
    Instant lastCheckAt;
    String lastCheck;

    /** Times of recent failures, oldest first; at most max-fails are kept. */
    static final class Failures {
        private long[] times = new long[4];
        private int size;

        void add(long now, int max) {
            if (size == max && size > 0) {
                System.arraycopy(times, 1, times, 0, size - 1);
                size--;
            }
            if (size == times.length) times = java.util.Arrays.copyOf(times, size * 2);
            times[size++] = now;
        }

        void removeOlderThan(long cutoff) {
            int keep = 0;
            while (keep < size && times[keep] - cutoff < 0) keep++;
            if (keep > 0) {
                System.arraycopy(times, keep, times, 0, size - keep);
                size -= keep;
            }
        }

        int size() { return size; }

        void clear() { size = 0; }
    }
}
