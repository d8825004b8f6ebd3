package mailproxy.route;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One pool's assignments in Redis, shared by every proxy with the same mailproxy.state
 * (README, "Several proxies"; the layout and scripts in {@link AffinityScripts}), with
 * this pool's {@link LocalAssignments} as the fallback while Redis does not answer.
 *
 * <p>This proxy's own sessions per user ({@link Held}) are the truth it writes: each change
 * writes its whole count on the user's server (never a delta), under that user's lock, so
 * writes of one user reach Redis in order, a write lost to an outage is mended by the next,
 * and after an outage {@link #resync} writes them all back. A session opened while Redis
 * was down holds a place in the local table too, given back when it ends, whichever mode
 * is in force then.
 */
final class RedisAssignments implements Assignments {
    private final RedisAffinity redis;
    private final String pool;
    private final LocalAssignments local;
    /** This proxy's open sessions of each user, on one server; an entry leaves when its last session ends. */
    private final Map<String, Held> held = new ConcurrentHashMap<>();
    private final AtomicLong[] forgotten = new AtomicLong[Forgotten.values().length];
    private final List<MoveListener> moveListeners = new CopyOnWriteArrayList<>();
    /** affinity-ttl in ms as the scripts take it (ARGV). */
    private volatile String ttlArg;
    /** What Redis last said of each user, for the time it does not answer. */
    private final LastShared lastShared = new LastShared(Duration.ZERO, 1);
    /**
     * Users whose last session here ended while Redis did not answer, with its server: the
     * count of 0 is written by {@link #resync} (this proxy's lease lives on, so a count left
     * in Redis would hold the user there for good). At most affinity-max-users.
     */
    private final Map<String, String> unwritten = new ConcurrentHashMap<>();
    private volatile int maxUnwritten = 1;
    private final java.util.concurrent.atomic.AtomicBoolean unwrittenFull = new java.util.concurrent.atomic.AtomicBoolean();
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger("mailproxy.pool");

    RedisAssignments(RedisAffinity redis, String pool, LocalAssignments local) {
        this.redis = redis;
        this.pool = pool;
        this.local = local;
        for (int i = 0; i < forgotten.length; i++) forgotten[i] = new AtomicLong();
    }

    /** One user's sessions through this proxy on one server; fields guarded by lock (held across the Redis call). */
    private static final class Held {
        final ReentrantLock lock = new ReentrantLock();
        final String user;
        final String server;
        int sessions;
        boolean accepted;

        Held(String user, String server) {
            this.user = user;
            this.server = server;
        }
    }

    @Override
    public void settings(Duration ttl, int maxUsers) {
        ttlArg = Long.toString(Math.max(0, ttl.toMillis()));
        maxUnwritten = Math.max(1, maxUsers);
        local.settings(ttl, maxUsers);
        lastShared.settings(ttl, maxUsers);
    }

    @Override
    public String assigned(String user) {
        if (!redis.degraded()) {
            try {
                String shared = redis.get(key(user), "s");
                lastShared.saw(user, shared);
                if (shared != null) return shared;
                // none in Redis while this proxy has the user's sessions open: Redis lost it
                // (restarted empty, faster than a call could fail); the sessions say where
                Held h = held.get(user);
                return h != null ? h.server : null;
            } catch (RedisAffinity.Down e) {
                // local from here on
            }
        }
        Held h = held.get(user);
        if (h != null) return h.server;
        String mine = local.assigned(user);
        return mine != null ? mine : lastShared.server(user);
    }

    @Override
    public void forget(String user, String server, Forgotten why) {
        lastShared.forget(user, server);
        if (!redis.degraded()) {
            try {
                List<?> r = redis.eval(AffinityScripts.FORGET, key(user), server, why == Forgotten.MOVE ? "0" : "1");
                if (number(r.getFirst()) == 1) forgotten[why.ordinal()].incrementAndGet();
                return;
            } catch (RedisAffinity.Down e) {
                // local from here on
            }
        }
        local.forget(user, server, why);
    }

    @Override
    public Hold open(String user, String server) {
        for (int tries = 0; tries < 100; tries++) {
            Held h = held.computeIfAbsent(user, u -> new Held(u, server));
            h.lock.lock();
            try {
                if (held.get(user) != h) continue; // its last session ended meanwhile: take the new one
                Hold answer = null;
                if (!redis.degraded()) {
                    try {
                        answer = openShared(h, user, server);
                    } catch (RedisAffinity.Down e) {
                        // local from here on
                    }
                }
                if (answer == null) answer = openLocal(h, user, server);
                // sent elsewhere, nothing taken: an entry made for this login leaves (it would
                // route the user by a session he never had here, and count him)
                if (h.sessions == 0) held.remove(user, h);
                return answer;
            } finally {
                h.lock.unlock();
            }
        }
        return NONE;
    }

    /** Under h's lock: the Redis script settles it (nothing taken when the user's sessions are elsewhere). */
    private Hold openShared(Held h, String user, String server) {
        boolean same = h.server.equals(server);
        int count = (same ? h.sessions : 0) + 1;
        List<?> r = redis.eval(AffinityScripts.OPEN, key(user), server, Integer.toString(count));
        String other = text(r.get(1));
        if (number(r.getFirst()) == 0) return new Elsewhere(other);
        if (!other.isEmpty() && !other.equals(server)) forgotten[Forgotten.DOWN.ordinal()].incrementAndGet();
        return take(h, user, server, null);
    }

    /** Under h's lock, Redis down: this proxy's own open sessions first, then the local table. */
    private Hold openLocal(Held h, String user, String server) {
        if (!h.server.equals(server) && h.sessions > 0) return new Elsewhere(h.server);
        Hold place = local.open(user, server);
        if (place.elsewhere() != null) return place;
        return take(h, user, server, place);
    }

    /** Under h's lock: counts the session in h, or in a new entry for another server (the old one's holds then write nothing). */
    private Hold take(Held h, String user, String server, Hold place) {
        Held e = h;
        if (!h.server.equals(server)) {
            e = new Held(user, server);
            held.put(user, e);
        }
        e.sessions++;
        return new Session(e, place);
    }

    /** One session's hold: its user's entry, and its place in the local table if it opened while Redis was down. */
    private final class Session implements Hold {
        private final Held h;
        private final Hold place;
        private boolean released;

        Session(Held h, Hold place) {
            this.h = h;
            this.place = place;
        }

        @Override
        public void accepted() {
            h.lock.lock();
            try {
                h.accepted = true;
                if (place != null) place.accepted();
                write(h, false);
            } finally {
                h.lock.unlock();
            }
        }

        @Override
        public void released() {
            h.lock.lock();
            try {
                if (released) return;
                released = true;
                if (place != null) place.released();
                h.sessions--;
                // written before the entry leaves: a new session of the user waits for this
                // lock, so its count reaches Redis after this one, never before
                boolean written = write(h, false);
                if (h.sessions == 0 && held.remove(h.user, h) && !written) unwrittenEnd(h);
            } finally {
                h.lock.unlock();
            }
        }
    }

    /**
     * Under h's lock: this proxy's count of h's user on h's server, to Redis (not while it is
     * down: resync does it). False when it did not reach Redis.
     */
    private boolean write(Held h, boolean sync) {
        if (redis.degraded()) return false;
        if (!sync && held.get(h.user) != h) return true; // superseded: its server was given up
        try {
            List<?> r = redis.eval(AffinityScripts.WRITE, key(h.user), h.server, Integer.toString(h.sessions),
                    h.accepted ? "1" : "0", ttlArg, sync ? "sync" : "");
            if (number(r.getFirst()) == 2) split(h.user, h.server, text(r.get(1)));
            return true;
        } catch (RedisAffinity.Down e) {
            return false; // written again when Redis is back (resync)
        }
    }

    /** The last session of h's user here ended and its count of 0 did not reach Redis: {@link #resync} writes it. */
    private void unwrittenEnd(Held h) {
        if (unwritten.size() < maxUnwritten || unwritten.containsKey(h.user)) {
            unwritten.put(h.user, h.server);
        } else if (unwrittenFull.compareAndSet(false, true)) {
            log.warn("pool {}: more than {} users' last sessions ended while Redis did not answer; the rest keep a count"
                    + " there until this proxy's lease ends (restart)", pool, maxUnwritten);
        }
    }

    /**
     * Under no lock: writes the counts of 0 that did not reach Redis, each under its user's
     * lock as {@link #open} takes it (a placeholder entry, so a session opening meanwhile
     * waits, then counts on its own); not for a user with sessions here now, whose own write
     * says it all. False when Redis stopped answering meanwhile.
     */
    private boolean writeEnds() {
        for (Map.Entry<String, String> u : new ArrayList<>(unwritten.entrySet())) {
            if (redis.degraded()) return false;
            String user = u.getKey();
            Held h = held.computeIfAbsent(user, k -> new Held(k, u.getValue()));
            h.lock.lock();
            try {
                if (held.get(user) == h && h.sessions == 0) {
                    try {
                        redis.eval(AffinityScripts.WRITE, key(user), u.getValue(), "0", "0", ttlArg, "");
                    } catch (RedisAffinity.Down e) {
                        return false;
                    } finally {
                        held.remove(user, h);
                    }
                }
                unwritten.remove(user, u.getValue());
            } finally {
                h.lock.unlock();
            }
        }
        unwrittenFull.set(false);
        return true;
    }

    /**
     * Redis answers again: the ends that did not reach it, then every user this proxy has
     * sessions of, written back; a user Redis has elsewhere with sessions open is a split.
     */
    void resync() {
        if (!writeEnds()) return;
        for (Held h : new ArrayList<>(held.values())) {
            if (redis.degraded()) return;
            h.lock.lock();
            try {
                if (held.get(h.user) == h && h.sessions > 0) write(h, true);
            } finally {
                h.lock.unlock();
            }
        }
    }

    @Override
    public void split(String user, String here, String there) {
        local.split(user, here, there);
    }

    /** Times Redis became unreachable (for every pool sharing it). */
    long fallbacks() {
        return redis.fallbacks();
    }

    @Override
    public long splits() {
        return local.splits();
    }

    /** Users this proxy has sessions open for (the shared table's size would cost a SCAN per scrape); while Redis is down, the local table's. */
    @Override
    public int size() {
        return redis.degraded() ? local.size() : held.size();
    }

    @Override
    public long forgotten(Forgotten why) {
        return forgotten[why.ordinal()].get() + local.forgotten(why);
    }

    @Override
    public List<Assigned> users(String server, int limit) {
        if (!redis.degraded()) {
            try {
                List<Assigned> out = new ArrayList<>();
                for (String k : redis.userKeys(pool, (int) Math.min(100_000L, Math.max(limit, 0) * 4L + 10))) {
                    if (out.size() >= limit) break;
                    List<?> r = redis.eval(AffinityScripts.READ, k, ttlArg);
                    String s = text(r.getFirst());
                    if (s.isEmpty() || (server != null && !server.equals(s))) continue;
                    out.add(new Assigned(redis.userOf(pool, k), s, (int) number(r.get(1))));
                }
                return out;
            } catch (RedisAffinity.Down e) {
                // local from here on
            }
        }
        return local.users(server, limit);
    }

    @Override
    public String move(String user, String server) {
        lastShared.saw(user, server);
        if (!redis.degraded()) {
            try {
                String before = text(redis.eval(AffinityScripts.MOVE, key(user), server == null ? "" : server,
                        ttlArg).getFirst());
                String from = before.isEmpty() ? null : before;
                if (from != null && from.equals(server)) return from;
                if (from != null) forgotten[Forgotten.MOVE.ordinal()].incrementAndGet();
                try {
                    redis.publish(pool, user, from, server);
                } catch (RedisAffinity.Down e) {
                    // the other proxies are not told; their sessions of the user end by themselves
                }
                for (MoveListener l : moveListeners) l.moved(user, from, server);
                return from;
            } catch (RedisAffinity.Down e) {
                // local from here on
            }
        }
        String before = local.move(user, server);
        if (before == null || !before.equals(server)) for (MoveListener l : moveListeners) l.moved(user, before, server);
        return before;
    }

    /**
     * The moves channel is followed again after a gap (README, "Several proxies"): a move
     * published meanwhile never reached this proxy. Each user this proxy has sessions of
     * whom Redis now has on another server is told to the listeners as moved, so that those
     * sessions are kicked as the move's own message would have had them.
     */
    void reconcile() {
        for (Held h : new ArrayList<>(held.values())) {
            if (redis.degraded()) return;
            String now;
            try {
                now = text(redis.eval(AffinityScripts.READ, key(h.user), ttlArg).getFirst());
            } catch (RedisAffinity.Down e) {
                return;
            }
            if (!now.isEmpty() && !now.equals(h.server) && held.get(h.user) == h) movedByAnother(h.user, h.server, now);
        }
    }

    /** Another proxy moved a user: this proxy's listeners close their sessions of the user on the old server. */
    void movedByAnother(String user, String from, String to) {
        for (MoveListener l : moveListeners) l.moved(user, from, to);
    }

    @Override
    public void onMove(MoveListener listener) {
        moveListeners.add(listener);
    }

    private String key(String user) {
        return redis.userKey(pool, user);
    }

    private static long number(Object o) {
        return o instanceof Long n ? n : o == null ? 0 : Long.parseLong(o.toString());
    }

    private static String text(Object o) {
        return o == null ? "" : o instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8) : o.toString();
    }
}
