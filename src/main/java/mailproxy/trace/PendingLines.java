package mailproxy.trace;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The trace lines one session keeps while it waits for its login to name a user (only
 * when users are watched), bounded in bytes per session and, through the server's
 * {@link Budget}, for all sessions together: otherwise every client that talks and never
 * logs in holds max-lines × 1,000 characters (docs/SECURITY.md). Once a line does not
 * fit, nothing more is kept (the trace has one gap, not holes), and what was left out is
 * counted for the note written in its place.
 *
 * <p>Used on the session's thread only; the budget is shared.
 */
final class PendingLines {
    /** What a kept line costs besides its characters: the String, its array, the list's slot. */
    static final int LINE_OVERHEAD = 64;

    /** The bytes all sessions of a server keep together, against trace.pending-total. */
    static final class Budget {
        private final AtomicLong held = new AtomicLong();

        /** Takes {@code n} bytes if the total stays within {@code max}. */
        boolean take(long n, long max) {
            while (true) {
                long now = held.get();
                if (now + n > max) return false;
                if (held.compareAndSet(now, now + n)) return true;
            }
        }

        void give(long n) {
            held.addAndGet(-n);
        }

        long held() { return held.get(); }
    }

    private final Budget budget;
    private final long maxBytes;
    private final long maxTotal;
    private final List<String> lines = new ArrayList<>();
    private long bytes;
    private int dropped;
    private long droppedBytes;

    PendingLines(Budget budget, long maxBytes, long maxTotal) {
        this.budget = budget;
        this.maxBytes = maxBytes;
        this.maxTotal = maxTotal;
    }

    void add(String line) {
        long cost = line.length() + LINE_OVERHEAD;
        if (dropped > 0 || bytes + cost > maxBytes || !budget.take(cost, maxTotal)) {
            dropped++;
            droppedBytes += cost;
            return;
        }
        bytes += cost;
        lines.add(line);
    }

    /** Bytes this session holds. */
    long bytes() { return bytes; }

    /**
     * Hands the kept lines to {@code out} in order, then, if lines were left out (all of
     * them after the last kept one), {@code note} of how many, and gives their bytes back.
     */
    void flush(Consumer<String> out, NoteMaker note) {
        lines.forEach(out);
        if (dropped > 0) out.accept(note.note(dropped, droppedBytes));
        discard();
    }

    /** Forgets the kept lines and gives their bytes back. */
    void discard() {
        budget.give(bytes);
        bytes = 0;
        lines.clear();
    }

    /** The trace line that says what was dropped. */
    @FunctionalInterface
    interface NoteMaker {
        String note(int lines, long bytes);
    }
}
