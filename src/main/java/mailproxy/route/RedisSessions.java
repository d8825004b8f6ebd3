package mailproxy.route;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This proxy's own open sessions of each user of one pool, the truth {@link RedisAssignments}
 * writes to Redis (README, "Several proxies"): each change writes its whole count on the
 * user's server (never a delta), under that user's lock, so writes of one user reach Redis
 * in order, a write lost to an outage is mended by the next, and after an outage
 * {@link #resync} writes them all back, the ends that did not reach Redis first.
 */
final class RedisSessions {
    private static final Logger log = LoggerFactory.getLogger("mailproxy.pool");

    /** One user's sessions through this proxy on one server; fields guarded by lock (held across the Redis call). */
    static final class Held {
        final ReentrantLock lock = new ReentrantLock();
        final String user;
        final String server;
        int sessions;
        boolean accepted;
        /** A session of this entry was opened through Redis: Redis has a count of it to end. */
        boolean inRedis;

        Held(String user, String server) {
            this.user = user;
            this.server = server;
        }
    }

    private final RedisAffinity redis;
    private final String pool;
    private final RedisAssignments store;
    /** Each user's entry, on one server; an entry leaves when its last session ends. */
    private final Map<String, Held> held = new ConcurrentHashMap<>();
    /**
     * Users whose last session here ended while Redis did not answer, with its server: the
     * count of 0 is written by {@link #resync} (this proxy's lease lives on, so a count left
     * in Redis would hold the user there for good). At most affinity-max-users.
     */
    private final Map<String, String> unwritten = new ConcurrentHashMap<>();
    private final AtomicBoolean unwrittenFull = new AtomicBoolean();
    private volatile int maxUnwritten = 1;
    /** affinity-ttl in ms as the scripts take it (ARGV). */
    private volatile String ttlArg = "0";

    RedisSessions(RedisAffinity redis, String pool, RedisAssignments store) {
        this.redis = redis;
        this.pool = pool;
        this.store = store;
    }

    void settings(String ttlArg, int maxUsers) {
        this.ttlArg = ttlArg;
        this.maxUnwritten = Math.max(1, maxUsers);
    }

    /** The user's entry, or null. */
    Held of(String user) { return held.get(user); }

    /** The user's entry, made for {@code server} when there is none; lock it, then check {@link #current}. */
    Held entry(String user, String server) { return held.computeIfAbsent(user, u -> new Held(u, server)); }

    /** Still the user's entry (under its lock): not ended or replaced meanwhile. */
    boolean current(Held h) { return held.get(h.user) == h; }

    /** Under h's lock: an entry that took no session leaves. */
    void dropIfEmpty(Held h) {
        if (h.sessions == 0) held.remove(h.user, h);
    }

    /** Users with sessions here. */
    int size() { return held.size(); }

    /** The entries now, for a look at each. */
    List<Held> all() { return new ArrayList<>(held.values()); }

    /**
     * Under h's lock: counts the session in h, or in a new entry for another server (the
     * old one's holds then write nothing); {@code place} is its place in the local table if
     * it opened while Redis was down.
     */
    Assignments.Hold take(Held h, String user, String server, Assignments.Hold place) {
        Held e = h;
        if (!h.server.equals(server)) {
            e = new Held(user, server);
            held.put(user, e);
        }
        e.sessions++;
        if (place == null) e.inRedis = true;
        return new Session(e, place);
    }

    /** One session's hold: its user's entry, and its place in the local table if it opened while Redis was down. */
    private final class Session implements Assignments.Hold {
        private final Held h;
        private final Assignments.Hold place;
        private boolean released;

        Session(Held h, Assignments.Hold place) {
            this.h = h;
            this.place = place;
        }

        @Override
        public void accepted() {
            h.lock.lock();
            try {
                h.accepted = true;
                if (place != null) place.accepted();
                write(h);
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
                boolean written = write(h);
                if (h.sessions == 0 && held.remove(h.user, h) && !written && h.inRedis) unwrittenEnd(h);
            } finally {
                h.lock.unlock();
            }
        }
    }

    /**
     * Under h's lock: this proxy's count of h's user on h's server, to Redis (not while it is
     * down: resync does it). False when it did not reach Redis.
     */
    private boolean write(Held h) {
        if (redis.degraded()) return false;
        if (held.get(h.user) != h) return true; // superseded: its server was given up
        try {
            redis.eval(AffinityScripts.WRITE, redis.userKey(pool, h.user), h.server,
                    Integer.toString(h.sessions), h.accepted ? "1" : "0", ttlArg, "");
            return true;
        } catch (RedisAffinity.Down e) {
            return false; // written again when Redis is back (resync)
        }
    }

    /**
     * Under h's lock, Redis answering again: h's count written back, creating the user's
     * assignment if Redis lost it. Returns the server Redis has the user on when that is
     * another one (moved by the operator or routed by another proxy meanwhile: Redis wins,
     * nothing written; a split when sessions are live there), else null.
     */
    private String writeBack(Held h) {
        try {
            List<?> r = redis.eval(AffinityScripts.WRITE, redis.userKey(pool, h.user), h.server,
                    Integer.toString(h.sessions), h.accepted ? "1" : "0", ttlArg, "sync");
            long code = RedisAssignments.number(r.getFirst());
            String there = RedisAssignments.text(r.get(1));
            if (code == 2) store.split(h.user, h.server, there);
            return code == 2 || code == 3 ? there : null;
        } catch (RedisAffinity.Down e) {
            return null; // the next resync
        }
    }

    /**
     * The last session of h's user here ended and its count of 0 did not reach Redis:
     * {@link #resync} writes it. Only for an entry Redis counted (logins opened during the
     * outage, guessed names among them, left nothing there and take no room here).
     */
    private void unwrittenEnd(Held h) {
        if (unwritten.size() < maxUnwritten || unwritten.containsKey(h.user)) {
            unwritten.put(h.user, h.server);
        } else if (unwrittenFull.compareAndSet(false, true)) {
            log.warn("pool {}: more than {} users' last sessions ended while Redis did not answer; the rest keep a count"
                    + " there until this proxy's lease ends (restart)", pool, maxUnwritten);
        }
    }

    /**
     * Writes the counts of 0 that did not reach Redis, each under its user's lock as
     * {@link RedisAssignments#open} takes it (a placeholder entry, so a session opening
     * meanwhile waits, then counts on its own); not for a user with sessions here now, whose
     * own write says it all. False when Redis stopped answering meanwhile.
     */
    private boolean writeEnds() {
        for (Map.Entry<String, String> u : new ArrayList<>(unwritten.entrySet())) {
            if (redis.degraded()) return false;
            String user = u.getKey();
            Held h = entry(user, u.getValue());
            h.lock.lock();
            try {
                if (current(h) && h.sessions == 0) {
                    try {
                        redis.eval(AffinityScripts.WRITE, redis.userKey(pool, user), u.getValue(), "0", "0", ttlArg, "");
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
     * sessions of, written back. A user Redis now has on another server stays there (a
     * split if sessions are open there): this proxy's sessions of him are on the wrong
     * server and are kicked, as {@link RedisAssignments#reconcile} does after a gap in the
     * moves channel, whichever of the two runs first (README, "Several proxies").
     */
    void resync() {
        if (!writeEnds()) return;
        for (Held h : all()) {
            if (redis.degraded()) return;
            String there = null;
            int open = 0;
            h.lock.lock();
            try {
                if (current(h) && h.sessions > 0) {
                    open = h.sessions;
                    there = writeBack(h);
                }
            } finally {
                h.lock.unlock();
            }
            if (there != null) {
                log.info("pool {}: user {} is on {} in Redis since this proxy lost it; {} session{} here on {} kicked",
                        pool, mailproxy.wire.LogSafe.value(h.user), there, open, open == 1 ? "" : "s", h.server);
                store.movedByAnother(h.user, h.server, there); // the kicks, off h's lock
            }
        }
    }
}
