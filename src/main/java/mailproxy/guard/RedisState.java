package mailproxy.guard;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import mailproxy.config.GuardConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.SetParams;

/**
 * The guard's state in Redis, shared by every proxy that names the same server and key
 * prefix; over TLS for rediss://, the certificate checked against the host connected to. Jedis on blocking sockets: a call parks the session's virtual thread for at most
 * the configured timeout (connect, each reply, and waiting for a pooled connection); any
 * failure is a {@link StateUnavailableException}.
 */
final class RedisState implements SharedState {
    /**
     * One script so that INCRBY and PEXPIRE happen together (Redis runs a script
     * atomically): a crash between them cannot leave a counter without an expiry. The
     * expiry is set only when the key has none: a fixed window from the first increment.
     * A counter at or below zero is removed. ARGV: delta, ttl in ms.
     */
    private static final String ADD = """
            local n = redis.call('INCRBY', KEYS[1], ARGV[1])
            if n <= 0 then
              redis.call('DEL', KEYS[1])
              return 0
            end
            if redis.call('PTTL', KEYS[1]) < 0 then
              redis.call('PEXPIRE', KEYS[1], ARGV[2])
            end
            return n
            """;

    /**
     * A counter of connections or sessions is a hash: one field per proxy (its instance id),
     * its value that proxy's share. A proxy is alive while its key alive:ID exists (a lease
     * it renews, {@link #heartbeat}); the shares of a dead one are not counted and are
     * dropped here, so the places of a proxy that crashed, or that lost Redis for longer
     * than its lease, free themselves within the lease (docs/SECURITY.md). KEYS: the hash.
     * ARGV: my id, my share, max (-1: none), ttl of the hash in ms, the alive-key prefix,
     * the lease in ms. Writes nothing past max; returns the sum of the live shares.
     */
    private static final String SHARE = """
            local me, own, max = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
            local total = own
            local shares = redis.call('HGETALL', KEYS[1])
            for i = 1, #shares, 2 do
              local who = shares[i]
              if who ~= me then
                if redis.call('EXISTS', ARGV[5] .. who) == 1 then
                  total = total + tonumber(shares[i + 1])
                else
                  redis.call('HDEL', KEYS[1], who)
                end
              end
            end
            if max >= 0 and total > max then
              return total
            end
            redis.call('SET', ARGV[5] .. me, '1', 'PX', ARGV[6])
            if own > 0 then
              redis.call('HSET', KEYS[1], me, own)
              redis.call('PEXPIRE', KEYS[1], ARGV[4])
            else
              redis.call('HDEL', KEYS[1], me)
            end
            return total
            """;

    private final RedisClient client;
    private final String prefix;
    private final String where;
    /** This proxy's name in the counters' hashes: new at every start, so a restart is a new proxy. */
    private final String instance;
    private final String aliveKey;
    private final long leaseMillis;

    RedisState(GuardConfig.State config) {
        this.where = RedisClients.where(config);
        this.prefix = config.keyPrefix();
        byte[] id = new byte[8];
        new SecureRandom().nextBytes(id);
        this.instance = HexFormat.of().formatHex(id);
        this.aliveKey = prefix + "alive:" + instance;
        this.leaseMillis = Math.max(1, config.instanceLease().toMillis());
        this.client = RedisClients.open(config);
    }

    /** host:port, for log lines (never the password). */
    String where() {
        return where;
    }

    @Override
    public long increment(String key, long delta, Duration ttl) {
        try {
            Object n = client.eval(ADD, List.of(prefix + key), List.of(Long.toString(delta), Long.toString(Math.max(1, ttl.toMillis()))));
            return (Long) n;
        } catch (JedisException | ClassCastException e) {
            throw unavailable(e);
        }
    }

    @Override
    public long share(String key, long own, long max, Duration ttl) {
        try {
            Object n = client.eval(SHARE, List.of(prefix + key), List.of(instance, Long.toString(own),
                    Long.toString(max), Long.toString(Math.max(1, ttl.toMillis())), prefix + "alive:",
                    Long.toString(leaseMillis)));
            return (Long) n;
        } catch (JedisException | ClassCastException e) {
            throw unavailable(e);
        }
    }

    /** SET alive:ID PX lease GET: one round trip, and whether the key was still there. */
    @Override
    public boolean heartbeat() {
        try {
            return client.setGet(aliveKey, "1", SetParams.setParams().px(leaseMillis)) != null;
        } catch (JedisException e) {
            throw unavailable(e);
        }
    }

    @Override
    public long count(String key) {
        String v = get(key);
        if (v == null) return 0;
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public String get(String key) {
        try {
            return client.get(prefix + key);
        } catch (JedisException e) {
            throw unavailable(e);
        }
    }

    @Override
    public void put(String key, String value, Duration ttl) {
        try {
            client.set(prefix + key, value, SetParams.setParams().px(Math.max(1, ttl.toMillis())));
        } catch (JedisException e) {
            throw unavailable(e);
        }
    }

    @Override
    public void delete(String key) {
        try {
            client.del(prefix + key);
        } catch (JedisException e) {
            throw unavailable(e);
        }
    }

    /** One round trip: true when Redis answers in time. */
    boolean ping() {
        try {
            return "PONG".equalsIgnoreCase(client.ping());
        } catch (JedisException e) {
            return false;
        }
    }

    private StateUnavailableException unavailable(RuntimeException e) {
        return new StateUnavailableException("redis " + where + ": " + e.getMessage(), e);
    }

    /**
     * A clean stop ends the lease at once: the other proxies stop counting this one's
     * places now, not a lease later.
     */
    @Override
    public void close() {
        try {
            client.del(aliveKey);
        } catch (JedisException e) {
            // unreachable: the lease ends by itself
        } finally {
            client.close();
        }
    }
}
