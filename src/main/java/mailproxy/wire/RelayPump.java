package mailproxy.wire;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * One direction of a {@link Relay}: the copy loop, its buffer that grows only while bytes
 * flow, and, from the backend, its stop at the end of a response once a kick was asked.
 * What either side sent ahead of the relay reaches the trace here too ({@link #show}).
 */
final class RelayPump {
    /** What an idle direction holds while it waits: enough for any command or short reply. */
    static final int IDLE_BUFFER = 256;

    /** The step between the idle buffer and the full one (see {@link #pump}). */
    static final int STEP_BUFFER = 4096;

    private RelayPump() {}

    /**
     * Copies until end of stream, counting as it goes (a direction that ends in an error
     * still reports what it carried).
     *
     * <p>An idle session should cost almost nothing, and most relayed sessions are idle
     * (IMAP IDLE, clients parked between polls). So a direction waits on a small buffer,
     * switches to a {@code bufferSize} one when reads fill the small one (a FETCH, a
     * DATA), and drops it again once reads come back small: the big buffer lives only
     * while bytes are flowing. On the way up a {@link #STEP_BUFFER} one comes between: a
     * response of a few KB (a short session's FETCH, a login's CAPABILITY) then costs 4 KB
     * rather than the whole bufferSize (64 KB by default, zeroed on allocation: most of
     * what a short login session allocated, bench/RESULTS.md, "Issue 22 ... third pass").
     *
     * <p>With {@code ends} (the backend-to-client direction), once a kick was asked for, it
     * passes on only what finishes the response under way, then returns.
     *
     * @param relay whose kick it watches for, whose idle clock it moves, whose buffer size it uses
     */
    static void pump(Relay relay, Connection source, Connection to, AtomicLong counter, LongConsumer meter,
                     ResponseEnds ends) throws IOException {
        AtomicLong lastActivity = relay.lastActivity;
        int bufferSize = relay.bufferSize;
        InputStream from = source.input();
        Connection.Tap tap = source.tap();
        byte[] small = new byte[Math.min(IDLE_BUFFER, bufferSize)];
        byte[] buf = small;
        while (true) {
            int n = from.read(buf);
            if (n < 0) return;
            lastActivity.set(System.nanoTime());
            if (ends != null) {
                boolean stop = relay.kickAsked();
                n = ends.feed(buf, 0, n, stop);
                if (stop && n == 0) return;
            }
            if (tap != null && !tap.relayed(buf, 0, n)) tap = null;
            to.write(buf, 0, n);
            counter.addAndGet(n);
            if (meter != null) meter.accept(n);
            if (ends != null && relay.kickAsked() && ends.atEnd()) return;
            if (n == buf.length && buf.length < bufferSize) {
                buf = new byte[buf == small ? Math.min(STEP_BUFFER, bufferSize) : bufferSize];
            } else if (buf != small && n < small.length) {
                buf = small;
            }
        }
    }

    /** What was sent ahead of the relay, to the trace of the connection it came from. */
    static void show(Connection source, byte[] b) {
        Connection.Tap tap = source.tap();
        if (tap != null) tap.relayed(b, 0, b.length);
    }
}
