package mailproxy.route;

import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The assignments of one pool in this process, owned by its {@link Pool} (and handed to
 * the pool of the same name after a reload). Bounded: at most maxUsers entries; at the cap
 * the user idle for longest is forgotten first, never one with an open session (a new user
 * then goes by the hash, unassigned). A login refused before it was ever accepted leaves
 * nothing behind, so unknown names cannot fill the table. One lock, held for map work only,
 * never around I/O.
 */
final class LocalAssignments implements Assignments {
    private final ReentrantLock lock = new ReentrantLock();
    private final LongSupplier clock;
    /** Guarded by lock. */
    private final Map<String, Entry> byUser = new HashMap<>();
    /** The entries without a session, oldest idle first (insertion order); guarded by lock. */
    private final LinkedHashMap<String, Entry> idle = new LinkedHashMap<>();
    private final AtomicLong[] forgotten = new AtomicLong[Forgotten.values().length];
    private final java.util.List<MoveListener> moveListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Splits splits = new Splits();
    private volatile long ttlNanos;
    private volatile int maxUsers;

    LocalAssignments(Duration ttl, int maxUsers, LongSupplier clock) {
        this.clock = clock;
        for (int i = 0; i < forgotten.length; i++) forgotten[i] = new AtomicLong();
        settings(ttl, maxUsers);
    }

    /** One user's assignment; fields guarded by the table's lock. */
    private static final class Entry {
        final String user;
        final String server;
        int sessions;
        boolean accepted;
        long idleSince;

        Entry(String user, String server) {
            this.user = user;
            this.server = server;
        }
    }

    @Override
    public void settings(Duration ttl, int maxUsers) {
        this.ttlNanos = ttl.toNanos();
        this.maxUsers = maxUsers;
    }

    @Override
    public String assigned(String user) {
        lock.lock();
        try {
            expire(clock.getAsLong());
            Entry e = byUser.get(user);
            return e == null ? null : e.server;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void forget(String user, String server, Forgotten why) {
        lock.lock();
        try {
            Entry e = byUser.get(user);
            // never while a session is open there: the user's next session goes where the open
            // ones are (README, "Why a user stays on one server"); only the operator's move does
            if (e != null && e.server.equals(server) && (e.sessions == 0 || why == Forgotten.MOVE)) remove(e, why);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Hold open(String user, String server) {
        lock.lock();
        try {
            long now = clock.getAsLong();
            expire(now);
            Entry e = byUser.get(user);
            if (e != null && !e.server.equals(server)) {
                // the login went past the assigned server: it failed to connect or greet (Pool
                // put it first while it was up). Its open sessions, if any, keep the entry, and
                // the caller is told where they are (Pool.connected goes there instead)
                if (e.sessions > 0) return new Elsewhere(e.server);
                remove(e, Forgotten.DOWN);
                e = null;
            }
            if (e == null) {
                if (byUser.size() >= maxUsers && !evictOldestIdle()) return NONE;
                e = new Entry(user, server);
                byUser.put(user, e);
            }
            if (e.sessions++ == 0) idle.remove(user);
            return hold(e);
        } finally {
            lock.unlock();
        }
    }

    private Hold hold(Entry e) {
        return new Hold() {
            private boolean released;

            @Override
            public void accepted() {
                lock.lock();
                try {
                    e.accepted = true;
                } finally {
                    lock.unlock();
                }
            }

            @Override
            public void released() {
                lock.lock();
                try {
                    if (released) return;
                    released = true;
                    if (--e.sessions > 0 || byUser.get(e.user) != e) return; // forgotten meanwhile: nothing to do
                    if (!e.accepted) {
                        byUser.remove(e.user); // never logged in: no trace of a guessed name
                    } else {
                        e.idleSince = clock.getAsLong();
                        idle.put(e.user, e);
                    }
                } finally {
                    lock.unlock();
                }
            }
        };
    }

    /** Under lock: forgets the users idle for ttl, oldest first. */
    private void expire(long now) {
        for (Iterator<Entry> it = idle.values().iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (now - e.idleSince < ttlNanos) return;
            it.remove();
            byUser.remove(e.user);
            forgotten[Forgotten.TTL.ordinal()].incrementAndGet();
        }
    }

    /** Under lock: makes room by forgetting the user idle longest; false when every user has a session open. */
    private boolean evictOldestIdle() {
        Iterator<Entry> it = idle.values().iterator();
        if (!it.hasNext()) return false;
        Entry e = it.next();
        it.remove();
        byUser.remove(e.user);
        return true;
    }

    /** Under lock. */
    private void remove(Entry e, Forgotten why) {
        byUser.remove(e.user);
        idle.remove(e.user);
        forgotten[why.ordinal()].incrementAndGet();
    }

    @Override
    public int size() {
        lock.lock();
        try {
            expire(clock.getAsLong());
            return byUser.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long forgotten(Forgotten why) {
        return forgotten[why.ordinal()].get();
    }

    @Override
    public java.util.List<Assigned> users(String server, int limit) {
        lock.lock();
        try {
            expire(clock.getAsLong());
            java.util.List<Assigned> out = new java.util.ArrayList<>();
            for (Entry e : byUser.values()) {
                if (out.size() >= limit) break;
                if (server == null || e.server.equals(server)) out.add(new Assigned(e.user, e.server, e.sessions));
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String move(String user, String server) {
        String before;
        lock.lock();
        try {
            expire(clock.getAsLong());
            Entry e = byUser.get(user);
            before = e == null ? null : e.server;
            if (before != null && before.equals(server)) return before;
            if (e != null) remove(e, Forgotten.MOVE);
            if (server != null && (byUser.size() < maxUsers || evictOldestIdle())) {
                // the sessions still open stay counted on their old entry (their holds release
                // it); the new one starts idle, as if its user had just logged out
                Entry moved = new Entry(user, server);
                moved.accepted = true;
                moved.idleSince = clock.getAsLong();
                byUser.put(user, moved);
                idle.put(user, moved);
            }
        } finally {
            lock.unlock();
        }
        for (MoveListener l : moveListeners) l.moved(user, before, server);
        return before;
    }

    @Override
    public void split(String user, String here, String there) {
        splits.count(user, here, there);
    }

    @Override
    public long splits() {
        return splits.count();
    }

    @Override
    public void onMove(MoveListener listener) {
        moveListeners.add(listener);
    }
}
