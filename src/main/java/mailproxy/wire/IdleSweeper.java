package mailproxy.wire;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ends relays that have been quiet for longer than their idle timeout (proxy-timeout).
 *
 * <p>One virtual thread per server looks at every relay's last-activity time a few times
 * per timeout, instead of a socket timeout on every blocked relay read: a timed read
 * schedules and cancels a timer task on every park, and each parked reader holds one.
 * Owned by the ProxyServer; relays add and remove themselves.
 */
public final class IdleSweeper implements AutoCloseable {
    private final Set<Relay> relays = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean open = true;

    /** @param period how often to look; a relay ends at most this long after its timeout */
    public IdleSweeper(Duration period) {
        long ms = Math.max(1, period.toMillis());
        this.thread = Thread.ofVirtual().name("idle-sweeper").start(() -> {
            while (open) {
                try {
                    Thread.sleep(ms);
                } catch (InterruptedException e) {
                    return;
                }
                long now = System.nanoTime();
                for (Relay r : relays) r.expireIfIdle(now);
            }
        });
    }

    /** A period that ends idle relays within a tenth of the timeout, looking at most every 10 ms and at least every second. */
    public static Duration periodFor(Duration idleTimeout) {
        long ms = Math.clamp(idleTimeout.toMillis() / 10, 10, 1000);
        return Duration.ofMillis(ms);
    }

    void add(Relay r) { relays.add(r); }

    void remove(Relay r) { relays.remove(r); }

    @Override
    public void close() {
        open = false;
        thread.interrupt();
    }
}
