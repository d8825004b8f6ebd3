package mailproxy.route;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The server Redis last named for each user this proxy routed (README, "Several proxies"),
 * for the time Redis does not answer: a user whose sessions are open through another proxy
 * is then still sent where Redis last had him, not where the hash says (the local table
 * knows only this proxy's own sessions). Bounded by affinity-max-users, the least recently
 * routed user going first; an answer older than affinity-ttl is not used.
 */
final class LastShared {
    private record Seen(String server, long at) {}

    private final ReentrantLock lock = new ReentrantLock();
    private final LinkedHashMap<String, Seen> byUser = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Seen> eldest) {
            return size() > maxUsers;
        }
    };
    private volatile long ttlNanos;
    private volatile int maxUsers;

    LastShared(Duration ttl, int maxUsers) {
        settings(ttl, maxUsers);
    }

    void settings(Duration ttl, int maxUsers) {
        this.ttlNanos = ttl.toNanos();
        this.maxUsers = Math.max(1, maxUsers);
    }

    /** Redis named {@code server} for {@code user} (null: none). */
    void saw(String user, String server) {
        lock.lock();
        try {
            if (server == null) byUser.remove(user);
            else byUser.put(user, new Seen(server, System.nanoTime()));
        } finally {
            lock.unlock();
        }
    }

    /** The server Redis last named for {@code user} within affinity-ttl, or null. */
    String server(String user) {
        lock.lock();
        try {
            Seen s = byUser.get(user);
            return s == null || System.nanoTime() - s.at() > ttlNanos ? null : s.server();
        } finally {
            lock.unlock();
        }
    }

    /** {@code user}'s assignment to {@code server} was given up. */
    void forget(String user, String server) {
        lock.lock();
        try {
            Seen s = byUser.get(user);
            if (s != null && s.server().equals(server)) byUser.remove(user);
        } finally {
            lock.unlock();
        }
    }
}
