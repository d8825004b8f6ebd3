package mailproxy.wire;

import java.io.IOException;
import java.time.Duration;

/**
 * A kick asked of a {@link Relay} (README, "Moving users"): the line the client gets once
 * the backend-to-client direction stopped at the end of a response ({@link ResponseEnds}),
 * the time by which that response must end (else both sides close without the line), and
 * what runs once the backend is closed, before the line. Made by {@link Relay#kick}, and
 * only then: a relay nobody kicks holds none.
 */
final class RelayKick {
    /** The kick's last words to the client (empty: none). */
    private final byte[] line;
    /** System.nanoTime() by which the response under way must have ended. */
    private final long deadline;
    /** Run once the backend is closed and before the kick's line goes out. */
    private final Runnable backendClosed;

    RelayKick(byte[] line, Duration wait, Runnable backendClosed) {
        this.line = line;
        this.deadline = System.nanoTime() + wait.toNanos();
        this.backendClosed = backendClosed;
    }

    /** Whether the kick has a line to send (without one, both sides close at once). */
    boolean hasLine() { return line.length > 0; }

    /** The response under way did not end in time: the relay is cut without the line. */
    boolean overdue(long now) { return now - deadline >= 0; }

    /**
     * After the kick stopped the backend-to-client direction: the kick's line, when that
     * direction stopped at the end of a response and the line is due; the caller closes.
     */
    Relay.End farewell(Connection client, Connection backend, ResponseEnds ends) {
        backend.close();
        backendClosed.run();
        if (ends != null && ends.atEnd() && line.length > 0 && System.nanoTime() - deadline < 0) {
            try {
                client.write(line);
            } catch (IOException e) {
                // the client is gone or stalled: closing is all that is left
            }
        }
        return Relay.End.KICKED;
    }

    /**
     * A kick that came before the relay started (a login that finished meanwhile): the
     * line, its write watched for {@code writeTimeout}; the caller closes.
     */
    void beforeStart(Connection client, Connection backend, ResponseEnds ends, Watchdog sweeper,
                     Duration writeTimeout) {
        backend.close();
        backendClosed.run();
        try {
            client.watchWrites(sweeper, writeTimeout);
            if (line.length > 0 && ends != null) client.write(line);
        } catch (IOException e) {
            // gone: closing is all that is left
        }
    }
}
