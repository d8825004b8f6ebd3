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
     * Sets this process's share of the counter {@code key} (its connections or sessions
     * held under that key) to {@code own}, and returns the sum of the shares of every live
     * process, this one's included; unless that sum would pass {@code max}: then nothing is
     * written and the sum it would have been is returned ({@code max} < 0: no limit). A
     * share is an absolute number, never a delta, so writing it again is harmless and a
     * write that was lost (the store did not answer) is mended by the next one. A share
     * lives {@code ttl} after its last write, and only while its process is alive (see
     * {@link #heartbeat}): a process that crashed stops counting within its lease.
     */
    long share(String key, long own, long max, Duration ttl);

    /**
     * Says this process is alive for another lease. False when the store had already
     * forgotten it (first call, or a silence longer than the lease): its shares may have
     * been dropped and must be written again.
     */
    default boolean heartbeat() {
        return true;
    }

    /**
     * True while calls go to a fallback instead of the configured shared store: a share
     * written now has not reached the others. Cheap (no round trip).
     */
    default boolean degraded() {
        return false;
    }

    /**
     * True while the table in use is full of keys it must not forget (blocks): nothing new
     * fits, and the guard refuses new connections instead of forgetting a block.
     */
    default boolean full() {
        return false;
    }

    /** Changes whenever the store switches between shared and fallback; cheap. */
    default long switches() {
        return 0;
    }

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
