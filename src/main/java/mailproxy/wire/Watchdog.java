package mailproxy.wire;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one clock-watcher per server: it ends relays that have been quiet for longer than
 * their idle timeout (proxy-timeout), and closes connections whose write has made no
 * progress for longer than that connection's write timeout.
 *
 * <p>A blocking write to a peer that does not read parks its thread for as long as the
 * peer likes: a client with a tiny receive window that pipelines thousands of commands
 * and never reads would hold its session, its connection permit and its thread forever.
 * Socket writes have no timeout of their own, and a timer per write would cost more than
 * the write; so a write stamps its start time on its {@link Connection}, and this thread
 * looks at every stamp a few times per timeout. Likewise a timed read would schedule and
 * cancel a timer task on every park: idle relays are found here instead, and so are the
 * line reads of a plain watched connection past their deadline (the line's
 * limits.timeout, capped by limits.login-lifetime; {@link Connection#expireReadIfLate}).
 *
 * <p>Owned by the ProxyServer; relays and connections add and remove themselves.
 */
public final class Watchdog implements AutoCloseable {
    private final Set<Relay> relays = ConcurrentHashMap.newKeySet();
    private final Set<Connection> writers = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean open = true;
    private volatile long periodMillis;

    /** @param period how often to look; a stall or idle relay ends at most this long after its timeout */
    public Watchdog(Duration period) {
        period(period);
        this.thread = Thread.ofVirtual().name("watchdog").start(() -> {
            while (open) {
                try {
                    Thread.sleep(periodMillis);
                } catch (InterruptedException e) {
                    return;
                }
                long now = System.nanoTime();
                for (Relay r : relays) r.expireIfIdle(now);
                for (Connection c : writers) {
                    c.abortIfWriteStalled(now);
                    c.expireReadIfLate(now);
                }
            }
        });
    }

    /**
     * A period that ends idle relays and stalled writes within a tenth of the shortest
     * timeout, looking at most every 10 ms and at least every second.
     */
    public static Duration periodFor(Duration... timeouts) {
        long shortest = Long.MAX_VALUE;
        for (Duration t : timeouts) shortest = Math.min(shortest, t.toMillis());
        return Duration.ofMillis(Math.clamp(shortest / 10, 10, 1000));
    }

    /** Changes how often it looks (a reload with other timeouts). */
    public void period(Duration period) { periodMillis = Math.max(1, period.toMillis()); }

    void add(Relay r) { relays.add(r); }

    void remove(Relay r) { relays.remove(r); }

    void watch(Connection c) { writers.add(c); }

    void unwatch(Connection c) { writers.remove(c); }

    /** Whether it still looks (a closed one ends no stalled write). */
    boolean isOpen() { return open; }

    /** Connections whose writes are being watched (tests: none left behind). */
    public int watched() { return writers.size(); }

    @Override
    public void close() {
        open = false;
        thread.interrupt();
    }
}
