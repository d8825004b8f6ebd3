package mailproxy.route;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mailproxy.config.Backend;
import mailproxy.config.Limits;
import mailproxy.config.Protocol;

/**
 * Active health checks of every server and protocol of every pool that has them. One
 * platform thread ("pool-health") keeps the schedule and hands each due check to a
 * short-lived virtual thread; a check schedules its next run when it ends, so one server
 * and protocol never has two checks under way and the threads alive are at most one plus
 * the number of checks (each bounded by connect-timeout + health.timeout).
 */
final class HealthChecker implements AutoCloseable {
    static final String THREAD_NAME = "pool-health";

    /** One server and protocol to check. */
    record Check(PoolServer server, Protocol protocol) {}

    private final List<Check> checks;
    private final Duration connectTimeout;
    private final int maxLine;
    private final ScheduledThreadPoolExecutor schedule;
    private final Set<Thread> running = ConcurrentHashMap.newKeySet();
    private final AtomicInteger peak = new AtomicInteger();
    private final AtomicInteger done = new AtomicInteger();
    private volatile boolean closed;

    HealthChecker(List<Check> checks, Limits limits) {
        this.checks = List.copyOf(checks);
        this.connectTimeout = limits.connectTimeout();
        this.maxLine = limits.backendLineLength();
        this.schedule = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, THREAD_NAME);
            t.setDaemon(true);
            return t;
        });
        schedule.setRemoveOnCancelPolicy(true);
        schedule.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /** First checks spread over one interval, so a big pool does not probe all at once. */
    void start() {
        for (int i = 0; i < checks.size(); i++) {
            Check c = checks.get(i);
            Duration interval = c.server().pooling().health().interval();
            later(c, interval.multipliedBy(i).dividedBy(checks.size()));
        }
    }

    private void later(Check c, Duration delay) {
        if (closed) return;
        try {
            schedule.schedule(() -> launch(c), delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    private void launch(Check c) {
        if (closed) return;
        Thread t = Thread.ofVirtual().name(THREAD_NAME + " " + c.server().pool() + " " + c.server().target(c.protocol()))
                .unstarted(() -> run(c));
        running.add(t);
        peak.accumulateAndGet(running.size(), Math::max);
        t.start();
    }

    private void run(Check c) {
        Backend.Health h = c.server().pooling().health();
        try {
            HealthProbe.Result r;
            try {
                r = HealthProbe.probe(c.server().target(c.protocol()), c.protocol(), h, connectTimeout, maxLine);
            } catch (RuntimeException e) {
                r = new HealthProbe.Result(false, "check failed: " + e); // a bug must not end this server's checks
            }
            if (!closed) c.server().checked(c.protocol(), r.ok(), r.reason());
            done.incrementAndGet();
        } finally {
            running.remove(Thread.currentThread());
            later(c, h.interval());
        }
    }

    /** Servers and protocols checked. */
    int checks() { return checks.size(); }

    /** Checks under way now. */
    int running() { return running.size(); }

    /** Most checks ever under way at once. */
    int peakRunning() { return peak.get(); }

    /** Checks finished so far. */
    int completed() { return done.get(); }

    /** Stops the schedule and interrupts checks under way (a virtual thread's socket closes on interrupt). */
    @Override
    public void close() {
        closed = true;
        schedule.shutdownNow();
        for (Thread t : running) t.interrupt();
        try {
            schedule.awaitTermination(5, TimeUnit.SECONDS);
            for (Thread t : running) t.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
