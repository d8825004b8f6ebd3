package mailproxy.route;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import mailproxy.config.GuardConfig;
import mailproxy.guard.RedisClients;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.exceptions.JedisException;

/**
 * This proxy's end of the channel on which moves are told to every proxy (README, "Several
 * proxies"): one virtual thread subscribed on a connection of its own, reconnecting with a
 * growing, bounded wait; after a gap each store compares its users' sessions with Redis
 * ({@link RedisAssignments#reconcile}), since the moves published meanwhile are lost. Owned
 * by {@link RedisAffinity}, which publishes.
 */
final class MovesChannel {
    private static final Logger log = LoggerFactory.getLogger("mailproxy.pool");
    /** The subscriber's wait before reconnecting grows to this at most. */
    private static final long MAX_BACKOFF_MILLIS = 5_000;

    private final GuardConfig.State config;
    private final String instance;
    private final Map<String, RedisAssignments> stores;
    /** Set once the channel was first followed: a later subscription follows a gap. */
    private final AtomicBoolean followedBefore = new AtomicBoolean();
    private volatile boolean closed;
    private volatile Jedis subscriber;
    private Thread listen;

    /** {@code instance}: this proxy's id (its own messages are skipped); {@code stores}: by pool, filled as pools are made. */
    MovesChannel(GuardConfig.State config, String instance, Map<String, RedisAssignments> stores) {
        this.config = config;
        this.instance = instance;
        this.stores = stores;
    }

    /** The channel's name. */
    String name() {
        return config.keyPrefix() + "affinity-moves";
    }

    void start() {
        listen = Thread.ofVirtual().name("affinity-moves").start(this::listenLoop);
    }

    void close() {
        closed = true;
        Jedis j = subscriber;
        if (j != null) j.close();
        if (listen != null) listen.interrupt();
    }

    private void listenLoop() {
        long backoff = Math.max(50, config.retryInterval().toMillis());
        JedisPubSub pubsub = new JedisPubSub() {
            @Override
            public void onMessage(String channel, String message) {
                MoveMessage m = MoveMessage.decode(message);
                if (m == null || m.instance().equals(instance)) return; // ours: its listeners were called when it was made
                RedisAssignments s = stores.get(m.pool());
                if (s != null) s.movedByAnother(m.user(), m.from(), m.to());
            }

            @Override
            public void onSubscribe(String channel, int subscribedChannels) {
                // after a gap the moves published meanwhile are lost: look at what Redis says now
                if (!followedBefore.compareAndSet(false, true)) reconcileSoon();
            }
        };
        long wait = backoff;
        while (!closed) {
            try (Jedis j = new Jedis(RedisClients.address(config), RedisClients.subscriberConfig(config))) {
                subscriber = j;
                if (closed) return;
                wait = backoff;
                j.subscribe(pubsub, name()); // returns when the connection ends
            } catch (JedisException e) {
                if (closed) return;
                log.debug("affinity moves subscriber: {}", e.toString());
            } catch (RuntimeException e) {
                log.warn("affinity moves subscriber: {}", e.toString());
            }
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                return;
            }
            wait = Math.min(MAX_BACKOFF_MILLIS, wait * 2);
        }
    }

    /** Each store compares its users' sessions with Redis, off the subscriber's thread. */
    private void reconcileSoon() {
        Thread.ofVirtual().name("affinity-reconcile").start(() -> {
            for (RedisAssignments s : stores.values()) s.reconcile();
        });
    }
}
