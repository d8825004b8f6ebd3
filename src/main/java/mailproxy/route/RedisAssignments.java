package mailproxy.route;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One pool's assignments in Redis, shared by every proxy with the same mailproxy.state
 * (README, "Several proxies"; the layout and scripts in {@link AffinityScripts}), with
 * this pool's {@link LocalAssignments} as the fallback while Redis does not answer.
 *
 * <p>This proxy's own sessions per user ({@link RedisSessions}) are the truth it writes, in
 * order per user, and written back after an outage. A session opened while Redis was down
 * holds a place in the local table too, given back when it ends, whichever mode is in
 * force then.
 */
final class RedisAssignments implements Assignments {
    private final RedisAffinity redis;
    private final String pool;
    private final LocalAssignments local;
    /** This proxy's open sessions of each user, on one server. */
    private final RedisSessions held;
    private final AtomicLong[] forgotten = new AtomicLong[Forgotten.values().length];
    private final List<MoveListener> moveListeners = new CopyOnWriteArrayList<>();
    /** affinity-ttl in ms as the scripts take it (ARGV). */
    private volatile String ttlArg;
    /** What Redis last said of each user, for the time it does not answer. */
    private final LastShared lastShared = new LastShared(Duration.ZERO, 1);

    RedisAssignments(RedisAffinity redis, String pool, LocalAssignments local) {
        this.redis = redis;
        this.pool = pool;
        this.local = local;
        this.held = new RedisSessions(redis, pool, this);
        for (int i = 0; i < forgotten.length; i++) forgotten[i] = new AtomicLong();
    }

    @Override
    public void settings(Duration ttl, int maxUsers) {
        ttlArg = Long.toString(Math.max(0, ttl.toMillis()));
        held.settings(ttlArg, maxUsers);
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
                RedisSessions.Held h = held.of(user);
                return h != null ? h.server : null;
            } catch (RedisAffinity.Down e) {
                // local from here on
            }
        }
        RedisSessions.Held h = held.of(user);
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
            RedisSessions.Held h = held.entry(user, server);
            h.lock.lock();
            try {
                if (!held.current(h)) continue; // its last session ended meanwhile: take the new one
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
                held.dropIfEmpty(h);
                return answer;
            } finally {
                h.lock.unlock();
            }
        }
        return NONE;
    }

    /** Under h's lock: the Redis script settles it (nothing taken when the user's sessions are elsewhere). */
    private Hold openShared(RedisSessions.Held h, String user, String server) {
        boolean same = h.server.equals(server);
        int count = (same ? h.sessions : 0) + 1;
        List<?> r = redis.eval(AffinityScripts.OPEN, key(user), server, Integer.toString(count));
        String other = text(r.get(1));
        if (number(r.getFirst()) == 0) return new Elsewhere(other);
        if (!other.isEmpty() && !other.equals(server)) forgotten[Forgotten.DOWN.ordinal()].incrementAndGet();
        return held.take(h, user, server, null);
    }

    /** Under h's lock, Redis down: this proxy's own open sessions first, then the local table. */
    private Hold openLocal(RedisSessions.Held h, String user, String server) {
        if (!h.server.equals(server) && h.sessions > 0) return new Elsewhere(h.server);
        Hold place = local.open(user, server);
        if (place.elsewhere() != null) return place;
        return held.take(h, user, server, place);
    }

    /** Redis answers again: this proxy's sessions written back ({@link RedisSessions#resync}). */
    void resync() {
        held.resync();
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
     * sessions are kicked as the move's own message would have had them. The write-back
     * after an outage ({@link RedisSessions#resync}) decides the same way, whichever runs
     * first: Redis's server wins.
     */
    void reconcile() {
        for (RedisSessions.Held h : held.all()) {
            if (redis.degraded()) return;
            String now;
            try {
                now = text(redis.eval(AffinityScripts.READ, key(h.user), ttlArg).getFirst());
            } catch (RedisAffinity.Down e) {
                return;
            }
            if (!now.isEmpty() && !now.equals(h.server) && held.current(h)) movedByAnother(h.user, h.server, now);
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

    static long number(Object o) {
        return o instanceof Long n ? n : o == null ? 0 : Long.parseLong(o.toString());
    }

    static String text(Object o) {
        return o == null ? "" : o instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8) : o.toString();
    }
}
