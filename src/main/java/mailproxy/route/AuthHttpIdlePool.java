package mailproxy.route;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The auth_http client's idle keep-alive connections (nginx opens one connection per login):
 * at most {@code capacity}, the most recently used first, none older than {@link #MAX_IDLE}.
 */
final class AuthHttpIdlePool {
    /** An idle connection older than this is closed rather than tried: servers time them out. */
    static final Duration MAX_IDLE = Duration.ofSeconds(60);

    private final int capacity;
    private final ReentrantLock lock = new ReentrantLock();
    /** After close(): connections coming back are closed, not pooled (guarded by lock). */
    private boolean closed;
    private final ArrayDeque<AuthHttpConnection> idle = new ArrayDeque<>();

    AuthHttpIdlePool(int capacity) {
        this.capacity = capacity;
    }

    /** Idle connections now in the pool. */
    int size() {
        lock.lock();
        try {
            return idle.size();
        } finally {
            lock.unlock();
        }
    }

    /** An idle connection to try, marked reused; null when there is none young enough. */
    AuthHttpConnection take() {
        List<AuthHttpConnection> expired = new ArrayList<>();
        AuthHttpConnection found = null;
        long now = System.nanoTime();
        lock.lock();
        try {
            while (found == null && !idle.isEmpty()) {
                AuthHttpConnection c = idle.pollFirst();
                if (now - c.idleSince > MAX_IDLE.toNanos()) expired.add(c);
                else found = c;
            }
        } finally {
            lock.unlock();
        }
        expired.forEach(AuthHttpConnection::close);
        if (found != null) found.reused = true;
        return found;
    }

    /** A connection whose response was read to its end: kept for the next login, or closed when the pool is full or closed. */
    void giveBack(AuthHttpConnection c) {
        c.idleSince = System.nanoTime();
        c.gotBytes = false;
        lock.lock();
        try {
            // most recently used first: it is the least likely to have been timed out
            if (!closed && idle.size() < capacity) {
                idle.addFirst(c);
                return;
            }
        } finally {
            lock.unlock();
        }
        c.close();
    }

    /** Closes the idle connections; those in use are closed when they come back. */
    void close() {
        List<AuthHttpConnection> all;
        lock.lock();
        try {
            closed = true;
            all = new ArrayList<>(idle);
            idle.clear();
        } finally {
            lock.unlock();
        }
        all.forEach(AuthHttpConnection::close);
    }
}
