package mailproxy.route;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import mailproxy.config.GuardConfig;
import mailproxy.guard.RedisClients;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * This proxy's link to the Redis of mailproxy.state for the pools' assignments (README,
 * "Several proxies"): the client (made as the guard's, {@link RedisClients}), this proxy's
 * id and lease, whether Redis answers, and the publishing of moves on the channel every
 * proxy follows ({@link MovesChannel}). One per process, shared by every pool's {@link RedisAssignments} and handed on
 * over reloads while mailproxy.state is unchanged.
 *
 * <p>Like the guard's state (docs/ARCHITECTURE.md, "The guard"): the first failed call logs
 * one warning and switches every store to its local table; while down only the lease
 * thread tries Redis, once per beat (a third of state.instance-lease, or
 * state.retry-interval if shorter); when it answers, one line, and every store writes its
 * open sessions back ({@link RedisAssignments#resync}).
 */
final class RedisAffinity implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("mailproxy.pool");

    /** A call to Redis that failed; the store it came from goes local for this call. */
    static final class Down extends RuntimeException {
        Down(Throwable cause) { super(cause.getMessage(), cause, false, false); }
    }

    private final GuardConfig.State config;
    private final RedisClient client;
    private final String prefix;
    private final String instance;
    private final String where;
    private final long leaseMillis;
    private final long beatMillis;
    private final AtomicBoolean down = new AtomicBoolean();
    private final AtomicBoolean resyncing = new AtomicBoolean();
    private final AtomicLong fallbacks = new AtomicLong();
    private final Map<String, RedisAssignments> stores = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private final MovesChannel moves;
    private Thread beat;

    RedisAffinity(GuardConfig.State config) {
        this.config = config;
        this.client = RedisClients.open(config);
        this.prefix = config.keyPrefix();
        byte[] id = new byte[8];
        new SecureRandom().nextBytes(id);
        this.instance = HexFormat.of().formatHex(id);
        this.where = RedisClients.where(config);
        this.leaseMillis = Math.max(1, config.instanceLease().toMillis());
        this.beatMillis = Math.max(50, Math.min(leaseMillis / 3, config.retryInterval().toMillis()));
        this.moves = new MovesChannel(config, instance, stores);
    }

    GuardConfig.State config() { return config; }

    /** Starts the lease and the subscriber (not for --check, which only builds the pools). */
    void start() {
        if (beat != null) return;
        beat = Thread.ofVirtual().name("affinity-lease").start(this::beatLoop);
        moves.start();
    }

    /** The store of pool {@code name}, made once and kept: its counts and holds outlive reloads. */
    RedisAssignments store(String pool, java.time.Duration ttl, int maxUsers, java.util.function.LongSupplier clock) {
        RedisAssignments s = stores.computeIfAbsent(pool, p -> new RedisAssignments(this, p, new LocalAssignments(ttl, maxUsers, clock)));
        s.settings(ttl, maxUsers);
        return s;
    }

    boolean degraded() { return down.get(); }

    /** Times the stores went local since start. */
    long fallbacks() { return fallbacks.get(); }

    /**
     * The key of a user's hash: {@code PREFIX affinity:POOL:USER}, the pool's ':' and backslash
     * escaped so that its name ends at the first ':' (a user name may hold any character:
     * pool "a" and user "b:c" must not reach pool "a:b"'s user "c").
     */
    String userKey(String pool, String user) {
        return poolKeys(pool) + user;
    }

    /** What every key of pool {@code pool}'s users begins with. */
    private String poolKeys(String pool) {
        return prefix + "affinity:" + pool.replace("\\", "\\\\").replace(":", "\\c") + ":";
    }

    /** Runs one script on a user's hash; {@link Down} when Redis does not answer in time. */
    List<?> eval(String script, String key, String... args) {
        List<String> argv = new ArrayList<>(3 + args.length);
        argv.add(instance);
        argv.add(prefix + "affinity-alive:");
        argv.add(Long.toString(leaseMillis));
        argv.addAll(List.of(args));
        Object r = call(() -> client.eval(script, List.of(key), argv));
        return r instanceof List<?> l ? l : List.of(r);
    }

    String get(String key, String field) {
        return call(() -> client.hget(key, field));
    }

    /**
     * One call; a connection that broke is tried once more on a fresh one (after Redis
     * restarted, every pooled connection is broken, and each would fail one call), and
     * when that answers, the stores write their sessions back (a restarted Redis is empty);
     * {@link Down} when Redis does not answer. A reply that did not come within
     * state.timeout is not asked for again: a login waits for Redis at most that long
     * (reference.conf, mailproxy.state.timeout), and the script may have run (a move run
     * twice would find the user moved already and tell no proxy to kick).
     */
    private <T> T call(java.util.function.Supplier<T> op) {
        try {
            try {
                return op.get();
            } catch (JedisConnectionException e) {
                if (timedOut(e)) throw e;
                T answer = op.get();
                // Redis answers on a fresh connection: it may have restarted empty
                resyncSoon();
                return answer;
            }
        } catch (JedisException e) {
            throw wentDown(e);
        }
    }

    /**
     * Every store writes its open sessions back, as when Redis comes back ({@link
     * #cameBack}), on a thread of its own: the caller may hold a user's lock, which the
     * write-back takes. One at a time; a broken connection met meanwhile adds nothing.
     */
    private void resyncSoon() {
        if (!resyncing.compareAndSet(false, true)) return;
        Thread.ofVirtual().name("affinity-resync").start(() -> {
            try {
                for (RedisAssignments s : stores.values()) s.resync();
            } finally {
                resyncing.set(false);
            }
        });
    }

    /** At most {@code limit} keys of pool {@code pool}'s users, in at most 100 SCAN calls. */
    List<String> userKeys(String pool, int limit) {
        String pattern = glob(poolKeys(pool)) + "*";
        List<String> out = new ArrayList<>();
        String cursor = ScanParams.SCAN_POINTER_START;
        ScanParams params = new ScanParams().match(pattern).count(Math.min(1000, Math.max(10, limit)));
        for (int calls = 0; calls < 100 && out.size() < limit; calls++) {
            String at = cursor;
            ScanResult<String> r = call(() -> client.scan(at, params));
            for (String k : r.getResult()) if (out.size() < limit) out.add(k);
            cursor = r.getCursor();
            if (r.isCompleteIteration()) break;
        }
        return out;
    }

    /** The user of a key from {@link #userKeys}. */
    String userOf(String pool, String key) {
        return key.substring(poolKeys(pool).length());
    }

    /** Tells every proxy's stores (through the channel) that a user was moved. */
    void publish(String pool, String user, String from, String to) {
        call(() -> client.publish(moves.name(), MoveMessage.encode(instance, pool, user, from, to)));
    }

    private Down wentDown(JedisException e) {
        if (down.compareAndSet(false, true)) {
            fallbacks.incrementAndGet();
            log.warn("redis {} unreachable ({}): user assignments are local to this proxy until it is back;"
                    + " trying again every {} ms", where, e.toString(), beatMillis);
        }
        return new Down(e);
    }

    /** Renews the lease; while down, this is the one retry per beat, and its success brings the stores back. */
    private void beatLoop() {
        while (!closed) {
            try {
                Thread.sleep(beatMillis);
                beat();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("affinity lease: {}", e.toString());
            }
        }
    }

    /** One renewal of the lease (and, while down, the one try of Redis); true when Redis answered. */
    boolean beat() {
        try {
            call(() -> client.set(prefix + "affinity-alive:" + instance, "1", SetParams.setParams().px(leaseMillis)));
        } catch (Down e) {
            return false;
        }
        if (down.get()) cameBack();
        return true;
    }

    /**
     * Redis answers again: the stores go back to it, then each writes its open sessions
     * back (absolute counts: a session that opens or ends meanwhile writes its own count
     * under the same per-user lock, so the last write is right either way).
     */
    private void cameBack() {
        if (!down.compareAndSet(true, false)) return;
        log.info("redis {} is reachable again: user assignments are shared again; writing this proxy's sessions back", where);
        for (RedisAssignments s : stores.values()) s.resync();
    }

    /** Without the lease's end: as a proxy that crashed (tests). */
    void stopWithoutGoodbye() {
        closed = true;
        if (beat != null) beat.interrupt();
        moves.close();
        client.close();
    }

    /** A clean stop ends the lease at once: the others stop counting this proxy's sessions now. */
    @Override
    public void close() {
        closed = true;
        if (beat != null) beat.interrupt();
        moves.close();
        try {
            client.del(prefix + "affinity-alive:" + instance);
        } catch (JedisException e) {
            // unreachable: the lease ends by itself
        } finally {
            client.close();
        }
    }

    /** A reply or a connect that did not come in time (not a connection Redis or a restart broke). */
    private static boolean timedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.SocketTimeoutException) return true;
        }
        return false;
    }

    /** Redis's glob characters escaped. */
    private static String glob(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') b.append('\\');
            b.append(c);
        }
        return b.toString();
    }
}
