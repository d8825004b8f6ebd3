package mailproxy.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Runs {@link FuzzInputs} against a listener: each input on its own connection, several
 * at once, and what a run leaves behind in this process (descriptors, platform threads).
 */
public final class FuzzRun {
    /** Connections at a time. */
    private static final int AT_ONCE = 8;

    private FuzzRun() {}

    /**
     * Sends inputs 0 to {@code count - 1}, each made by {@code inputOf} from its seed
     * ({@link FuzzInputs#seed(long, int)}), {@link #AT_ONCE} connections at a time; the
     * failures, each naming its seed and its first bytes.
     */
    public static List<String> all(InetSocketAddress address, long base, int count, Duration end,
            Function<Random, byte[]> inputOf) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < AT_ONCE; w++) {
            workers.add(Thread.ofVirtual().start(() -> {
                for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                    long seed = FuzzInputs.seed(base, i);
                    byte[] input = inputOf.apply(new Random(seed));
                    try {
                        String problem = exchange(address, input, end);
                        if (problem != null) failures.add("input seed " + seed + ": " + problem + ": " + hex(input, 120));
                    } catch (IOException e) {
                        failures.add("input seed " + seed + ": " + e + ": " + hex(input, 120));
                    }
                }
            }));
        }
        for (Thread t : workers) t.join(Duration.ofMinutes(3));
        return new ArrayList<>(failures);
    }

    /**
     * Sends the input, half-closes, reads until the peer closes; null when it did within
     * {@code end}, else what went wrong. The peer may close (or reset) before it read
     * everything (a limit, max-errors): that is fine.
     */
    public static String exchange(InetSocketAddress address, byte[] input, Duration end) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(address, 5000);
            s.setSoTimeout((int) end.toMillis());
            try {
                s.getOutputStream().write(input);
                s.shutdownOutput();
            } catch (IOException closedEarly) {
                // closed before it read it all
            }
            InputStream in = s.getInputStream();
            byte[] sink = new byte[8192];
            try {
                while (in.read(sink) >= 0) {
                    // the answers: only the end matters here
                }
            } catch (SocketTimeoutException e) {
                return "not closed within " + end;
            } catch (IOException reset) {
                // a reset is a close too
            }
            return null;
        }
    }

    /** The first {@code max} bytes in hex, and the length when there are more. */
    public static String hex(byte[] b, int max) {
        String shown = HexFormat.of().formatHex(b, 0, Math.min(b.length, max));
        return shown + (b.length > max ? "... (" + b.length + " bytes)" : "");
    }

    /** Open file descriptors of this process (Linux). */
    public static long openFds() {
        String[] fds = new File("/proc/self/fd").list();
        if (fds == null) throw new AssertionError("/proc/self/fd is not readable");
        return fds.length;
    }

    /** Live platform threads (the JVM's own, carriers, pools); virtual threads are not among them. */
    public static int platformThreads() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }
}
