package mailproxy.guard;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import mailproxy.config.GuardConfig;
import mailproxy.tls.ClientSocketFactories;
import mailproxy.tls.TlsConfigException;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;

/**
 * The one way this proxy connects to the Redis of mailproxy.state: the guard's counters
 * ({@link RedisState}) and the pools' user assignments (route.RedisAssignments) use the
 * same server, credentials, database, TLS and timeouts. Over TLS for rediss://, the
 * certificate checked against the host connected to. Jedis on blocking sockets: a call
 * parks its virtual thread for at most the configured timeout at each of its waits (for a
 * pooled connection, a connect, each reply), so at most about three times it in all.
 */
public final class RedisClients {
    private RedisClients() {}

    /** A client with a pool of at most {@code state.pool-size} connections. */
    public static RedisClient open(GuardConfig.State config) {
        URI url = URI.create(config.redis());
        HostAndPort at = new HostAndPort(url.getHost(), port(url));
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(config.poolSize());
        pool.setMaxIdle(config.poolSize());
        pool.setMinIdle(0);
        pool.setBlockWhenExhausted(true);
        pool.setMaxWait(config.timeout());
        pool.setJmxEnabled(false);
        return RedisClient.builder()
                .hostAndPort(at)
                .clientConfig(clientConfig(config, (int) Math.min(Integer.MAX_VALUE, config.timeout().toMillis())).build())
                .poolConfig(pool)
                .build();
    }

    /**
     * The settings of a connection that subscribes (a single {@code Jedis}, RESP2): the
     * connect bounded by the timeout, then no reply is due, so reads wait without one.
     */
    public static DefaultJedisClientConfig subscriberConfig(GuardConfig.State config) {
        return clientConfig(config, 0).autoNegotiateProtocol(false).build();
    }

    /** The settings of one connection; {@code timeoutMillis} for each reply. */
    private static DefaultJedisClientConfig.Builder clientConfig(GuardConfig.State config, int timeoutMillis) {
        URI url = URI.create(config.redis());
        DefaultJedisClientConfig.Builder c = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis((int) Math.min(Integer.MAX_VALUE, config.timeout().toMillis()))
                .socketTimeoutMillis(timeoutMillis)
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
        if ("rediss".equals(url.getScheme())) {
            // the file was read at startup (config.GuardReader); read again here, it cannot fail but by a race
            try {
                c.ssl(true).sslSocketFactory(ClientSocketFactories.trusting(config.redisCaFile()))
                        .sslParameters(ClientSocketFactories.verifyingHostName());
            } catch (TlsConfigException e) {
                throw new IllegalStateException("mailproxy.state.redis-ca-file: " + e.getMessage(), e);
            }
        }
        String path = url.getPath() == null ? "" : url.getPath();
        if (path.length() > 1) c.database(Integer.parseInt(path.substring(1)));
        return c;
    }

    /** The server's host and port. */
    public static HostAndPort address(GuardConfig.State config) {
        URI url = URI.create(config.redis());
        return new HostAndPort(url.getHost(), port(url));
    }

    /** host:port, for log lines (never the password). */
    public static String where(GuardConfig.State config) {
        URI url = URI.create(config.redis());
        return url.getHost() + ":" + port(url);
    }

    private static int port(URI url) {
        return url.getPort() > 0 ? url.getPort() : 6379;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
