package mailproxy.route;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import mailproxy.config.GuardConfig;
import mailproxy.testing.RealRedis;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;

/**
 * "Proxies" for the tests of the assignments in Redis: each a {@link RedisAffinity} of its
 * own (its own id, lease and subscriber) on one real redis-server, sharing a key prefix of
 * the test's, and a look at the keys from the side.
 */
final class RedisFixture implements AutoCloseable {
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    final RealRedis redis;
    final String prefix = "aff" + PREFIXES.incrementAndGet() + ":";
    private final List<RedisAffinity> proxies = new ArrayList<>();
    private RedisClient look;

    RedisFixture(RealRedis redis) {
        this.redis = redis;
    }

    static GuardConfig.State state(String url, String prefix, Duration lease, Duration retry) {
        return new GuardConfig.State(url, prefix, GuardConfig.OnRedisDown.LOCAL, Duration.ofMillis(500), 1000, 8,
                retry, lease, null);
    }

    /** A proxy with its lease and subscriber running. */
    RedisAffinity proxy(Duration lease) {
        RedisAffinity a = unstarted(lease, Duration.ofMillis(100));
        a.start();
        return a;
    }

    /** A proxy whose lease nobody renews but the test ({@link RedisAffinity#beat}). */
    RedisAffinity unstarted(Duration lease, Duration retry) {
        RedisAffinity a = new RedisAffinity(state(redis.url(), prefix, lease, retry));
        proxies.add(a);
        return a;
    }

    static RedisAssignments store(RedisAffinity a, Duration ttl) {
        return a.store("stores", ttl, 1000, System::nanoTime);
    }

    /** A client of the test's own, for looking at the keys. */
    RedisClient look() {
        if (look == null) look = RedisClient.builder().hostAndPort(new HostAndPort("127.0.0.1", redis.port())).build();
        return look;
    }

    /** Subscribers of the moves channel now. */
    long subscribers() {
        try (redis.clients.jedis.Jedis j = new redis.clients.jedis.Jedis("127.0.0.1", redis.port())) {
            return j.pubsubNumSub(prefix + "affinity-moves").getOrDefault(prefix + "affinity-moves", 0L);
        }
    }

    String key(String user) {
        return prefix + "affinity:stores:" + user;
    }

    @Override
    public void close() {
        for (RedisAffinity a : proxies) {
            try {
                a.close();
            } catch (RuntimeException e) {
                // already stopped
            }
        }
        if (look != null) look.close();
    }
}
