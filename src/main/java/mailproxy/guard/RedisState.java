package mailproxy.guard;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import mailproxy.config.GuardConfig;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.SetParams;

/**
 * The guard's state in Redis, shared by every proxy that names the same server and key
 * prefix. Jedis on blocking sockets: a call parks the session's virtual thread for at most
 * the configured timeout (connect, each reply, and waiting for a pooled connection); any
 * failure is a {@link StateUnavailableException}.
 */
final class RedisState implements SharedState {
    /**
     * One script so that INCRBY and PEXPIRE happen together (Redis runs a script
     * atomically): a crash between them cannot leave a counter without an expiry.
     * ARGV: delta, ttl in ms, mode. "window": the expiry is set only when the key has none
     * (a fixed window from the first increment). "refresh": the expiry is set every time.
     * Either way a counter at or below zero is removed.
     */
    private static final String ADD = """
            local n = redis.call('INCRBY', KEYS[1], ARGV[1])
            if n <= 0 then
              redis.call('DEL', KEYS[1])
              return 0
            end
            if ARGV[3] ~= 'window' or redis.call('PTTL', KEYS[1]) < 0 then
              redis.call('PEXPIRE', KEYS[1], ARGV[2])
            end
            return n
            """;

    private final RedisClient client;
    private final String prefix;
    private final String where;

    RedisState(GuardConfig.State config) {
        URI url = URI.create(config.redis());
        this.where = url.getHost() + ":" + port(url);
        this.prefix = config.keyPrefix();
        int ms = (int) Math.min(Integer.MAX_VALUE, config.timeout().toMillis());
        DefaultJedisClientConfig.Builder c = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(ms)
                .socketTimeoutMillis(ms)
                .clientName("mailproxy");
        String userInfo = url.getRawUserInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            if (colon < 0) {
                c.password(decode(userInfo));
            } else {
                if (colon > 0) c.user(decode(userInfo.substring(0, colon)));
                c.password(decode(userInfo.substring(colon + 1)));
            }
        }
        String path = url.getPath() == null ? "" : url.getPath();
        if (path.length() > 1) c.database(Integer.parseInt(path.substring(1)));
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(config.poolSize());
        pool.setMaxIdle(config.poolSize());
        pool.setMinIdle(0);
        pool.setBlockWhenExhausted(true);
        pool.setMaxWait(config.timeout());
        pool.setJmxEnabled(false);
        this.client = RedisClient.builder()
                .hostAndPort(new HostAndPort(url.getHost(), port(url)))
                .clientConfig(c.build())
                .poolConfig(pool)
                .build();
    }

    /** host:port, for log lines (never the password). */
    String where() {
        return where;
    }

    private static int port(URI url) {
        return url.getPort() > 0 ? url.getPort() : 6379;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    @Override
    public long increment(String key, long delta, Duration ttl) {
        return add(key, delta, ttl, "window");
    }

    @Override
    public long addToCounter(String key, long delta, Duration ttl) {
        return add(key, delta, ttl, "refresh");
    }

    private long add(String key, long delta, Duration ttl, String mode) {
        try {
            Object n = client.eval(ADD, List.of(prefix + key),
                    List.of(Long.toString(delta), Long.toString(Math.max(1, ttl.toMillis())), mode));
            return (Long) n;
        } catch (JedisException | ClassCastException e) {
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

    @Override
    public void close() {
        client.close();
    }
}
