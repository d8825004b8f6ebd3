package mailproxy.route;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import mailproxy.config.RouterConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The calls of one router to its auth server: at most {@code max-concurrent} at once, at
 * most {@code queue} logins waiting for one, each at most {@code queue-timeout}; past that
 * the login is refused at once, and the session answers with the protocol's temporary
 * failure (README, "Reconnect storms"). When a server dies, its clients come back within
 * a second: without a bound, every one of them is a request to the auth server at the
 * same moment.
 *
 * <p>Waiting is a fair semaphore's queue (first come, first served) on the login's own
 * virtual thread: a parked thread, no pool, no timer. The counts are read by the metrics
 * at scrape time. One per router, shared by the routers of successive reloads while the
 * settings stay, so that a reload in a storm does not double the bound
 * ({@link Routers#build}).
 */
public final class CallLimiter {
    private static final Logger log = LoggerFactory.getLogger("mailproxy.router");

    /** How a call went in, or why it did not. */
    enum Entry { ENTERED, QUEUE_FULL, QUEUE_TIMEOUT }

    /** The reasons a call is refused, as the metric labels them. */
    public static final java.util.List<String> REFUSALS = java.util.List.of("queue-full", "queue-timeout");

    private final String router;
    private final RouterConfig.CallLimit settings;
    private final Semaphore permits;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger queued = new AtomicInteger();
    private final LongAdder queueFull = new LongAdder();
    private final LongAdder queueTimeout = new LongAdder();
    /** Refusing since the last call that went in without waiting: logged once per busy spell. */
    private final AtomicBoolean busy = new AtomicBoolean();
    private final LongAdder refusedThisSpell = new LongAdder();

    CallLimiter(String router, RouterConfig.CallLimit settings) {
        this.router = router;
        this.settings = settings;
        this.permits = new Semaphore(settings.maxConcurrent(), true);
    }

    RouterConfig.CallLimit settings() { return settings; }

    /**
     * A place for one call: {@link Entry#ENTERED} (then call {@link #exit()} once when the
     * call is over), else why not. Waits in the queue up to queue-timeout.
     *
     * @throws InterruptedException the server is stopping; nothing to exit
     */
    Entry enter() throws InterruptedException {
        // a fair semaphore's timed tryAcquire does not jump the queue, even with a zero wait
        if (permits.tryAcquire(0, TimeUnit.NANOSECONDS)) {
            entered();
            if (busy.compareAndSet(true, false)) {
                log.info("router {} calls back under max-concurrent {}: {} logins were refused meanwhile", router,
                        settings.maxConcurrent(), refusedThisSpell.sumThenReset());
            }
            return Entry.ENTERED;
        }
        if (queued.incrementAndGet() > settings.queue()) {
            queued.decrementAndGet();
            return refused(queueFull, "its queue of " + settings.queue() + " is full");
        }
        boolean got;
        try {
            got = permits.tryAcquire(settings.queueTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } finally {
            queued.decrementAndGet();
        }
        if (!got) return refused(queueTimeout, "a login waited " + settings.queueTimeout().toMillis() + " ms in its queue");
        entered();
        return Entry.ENTERED;
    }

    /** A call that entered is over (answered, failed or timed out). */
    void exit() {
        inFlight.decrementAndGet();
        permits.release();
    }

    private void entered() {
        inFlight.incrementAndGet();
    }

    private Entry refused(LongAdder counter, String why) {
        counter.increment();
        refusedThisSpell.increment();
        if (busy.compareAndSet(false, true)) {
            log.warn("router {} busy: {} calls in flight (max-concurrent) and {}: logins get the temporary failure",
                    router, settings.maxConcurrent(), why);
        }
        return counter == queueFull ? Entry.QUEUE_FULL : Entry.QUEUE_TIMEOUT;
    }

    /** Calls to the auth server under way now. */
    public int inFlight() { return inFlight.get(); }

    /** Logins waiting for a call now. */
    public int queued() { return queued.get(); }

    /** Logins refused since start for a reason of {@link #REFUSALS}. */
    public long refused(String reason) {
        return switch (reason) {
            case "queue-full" -> queueFull.sum();
            case "queue-timeout" -> queueTimeout.sum();
            default -> throw new IllegalArgumentException(reason);
        };
    }
}
