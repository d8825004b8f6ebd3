package mailproxy.session;

import java.io.IOException;
import java.time.Duration;
import mailproxy.wire.Connection;

/**
 * A lingering close: half-close and read what the client still sends, bounded in time and
 * bytes, so that closing with unread input does not send a TCP reset that can wipe our last
 * reply from the client's receive buffer before it reads it (SMTP: {@link Replies#lingerOnClose()}).
 */
public final class Linger {
    /** How long a closing session keeps reading what the client still sends. */
    private static final Duration LINGER = Duration.ofSeconds(1);
    private static final int LINGER_BYTES = 64 * 1024;

    private Linger() {}

    public static void close(Connection client) {
        try {
            client.socket().shutdownOutput();
            client.discardBuffered();
            client.readTimeout(LINGER);
            long deadline = System.nanoTime() + LINGER.toNanos();
            byte[] sink = new byte[4096];
            int total = 0;
            while (total < LINGER_BYTES && System.nanoTime() < deadline) {
                int n = client.input().read(sink);
                if (n < 0) return;
                total += n;
            }
        } catch (IOException | UnsupportedOperationException e) {
            // timeout or reset: the session is closing either way
        }
    }
}
