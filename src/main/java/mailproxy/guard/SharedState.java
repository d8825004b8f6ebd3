package mailproxy.guard;

import java.time.Duration;

/**
 * Where the guard keeps its counters and blocks: this process ({@link LocalState}) or Redis
 * shared by several proxies ({@link RedisState}, behind {@link FallbackState}). Every key
 * written has a time to live, so nothing stays forever: not a counter of an address that
 * went quiet, not a session count of a proxy that crashed.
 *
 * <p>A counter and a text may share the key space; {@link #get} of a counter gives its
 * number as text, as Redis does. Implementations are thread-safe. Calls may block for at
 * most the configured Redis timeout; none throws for an unreachable store except
 * {@link RedisState}, which {@link FallbackState} wraps.
 */
public interface SharedState extends AutoCloseable {

    /**
     * Adds {@code delta} to a counter in a fixed window: a new key lives {@code ttl}, later
     * changes keep its expiry (INCRBY and PEXPIRE in one step). At or below zero the key is
     * removed and 0 returned. Returns the value after the change.
     */
    long increment(String key, long delta, Duration ttl);

    /**
     * Adds {@code delta} (negative to give back) and makes the key live {@code ttl} from
     * now, so a counter nobody touches any more decays. At or below zero the key is
     * removed and 0 returned. Returns the value after the change.
     */
    long addToCounter(String key, long delta, Duration ttl);

    /** A counter's value; 0 when there is no such key. */
    long count(String key);

    /** A text value; null when there is no such key. */
    String get(String key);

    /** Sets a text value that lives {@code ttl}. */
    void put(String key, String value, Duration ttl);

    void delete(String key);

    /** False while a configured shared store cannot be reached (the local fallback is in use). */
    default boolean shared() {
        return true;
    }

    @Override
    void close();
}
