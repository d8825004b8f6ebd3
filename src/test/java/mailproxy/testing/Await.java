package mailproxy.testing;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/** Waiting for a condition with a deadline, instead of sleeping and hoping. */
public final class Await {
    private static final Duration POLL = Duration.ofMillis(20);

    private Await() {}

    /** One look at something that may not be there yet: null for "not yet". */
    @FunctionalInterface
    public interface Probe<T> {
        T get() throws Exception;
    }

    /** Polls {@code condition} every 20 ms for up to {@code max}; its last answer. */
    public static boolean until(Duration max, BooleanSupplier condition) {
        try {
            return value(max, POLL, () -> condition.getAsBoolean() ? Boolean.TRUE : null) != null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            throw new IllegalStateException(e); // a BooleanSupplier throws no checked exception
        }
    }

    /** Like {@link #until(Duration, BooleanSupplier)}, and fails the test with {@code what} on time-out. */
    public static void until(Duration max, String what, BooleanSupplier condition) {
        if (!until(max, condition)) throw new AssertionError("not within " + max + ": " + what);
    }

    /**
     * Asks {@code probe} every {@code every} until it gives an answer (not null) or {@code
     * max} has passed; the answer, or null. For a probe that costs something (a login to
     * a real server to look for a delivered message), every 200 ms rather than 20.
     */
    public static <T> T value(Duration max, Duration every, Probe<T> probe) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            T answer = probe.get();
            if (answer != null) return answer;
            if (System.nanoTime() - deadline > 0) return null;
            Thread.sleep(every);
        }
    }

    /**
     * Runs {@code attempt} until it no longer fails with an {@link IOException} or an
     * {@link AssertionError} (a server still starting: connection refused, no greeting
     * yet), every {@code every} for up to {@code max}; its result, or its last failure.
     */
    public static <T> T retrying(Duration max, Duration every, Probe<T> attempt) throws Exception {
        Throwable[] last = {null};
        T result = value(max, every, () -> {
            try {
                return Objects.requireNonNull(attempt.get(), "an attempt's result");
            } catch (IOException | AssertionError e) {
                last[0] = e;
                return null;
            }
        });
        if (result != null) return result;
        if (last[0] instanceof IOException e) throw e;
        throw (AssertionError) last[0];
    }

    /**
     * Holds the current thread for {@code pause} where the wait IS the behaviour under test
     * (a client that trickles its bytes, a peer that is slow on purpose), never to wait
     * for something to happen: {@link #until} does that.
     */
    public static void pause(Duration pause) throws InterruptedException {
        Thread.sleep(pause);
    }
}
