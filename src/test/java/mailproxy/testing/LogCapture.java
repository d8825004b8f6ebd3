package mailproxy.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Captures what the proxy logs (slf4j-simple writes to System.err) while it is open, and
 * still passes it on to the real stderr. Test classes run one at a time, so one capture
 * sees only its own test's lines.
 */
public final class LogCapture implements AutoCloseable {
    private final PrintStream original = System.err;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    public LogCapture() {
        PrintStream tee = new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                synchronized (captured) { // in-memory only: nothing here blocks
                    captured.write(b, off, len);
                }
                original.write(b, off, len);
            }
        }, true, StandardCharsets.UTF_8);
        System.setErr(tee);
    }

    public String text() {
        synchronized (captured) {
            return captured.toString(StandardCharsets.UTF_8);
        }
    }

    /** Waits until a line containing every one of {@code needles} has been logged; returns that line. */
    public String awaitLine(Duration timeout, String... needles) throws InterruptedException {
        String found;
        try {
            found = Await.value(timeout, Duration.ofMillis(20), () -> {
                for (String line : text().split("\n")) {
                    boolean all = true;
                    for (String n : needles) all &= line.contains(n);
                    if (all) return line;
                }
                return null;
            });
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e); // reading the captured text throws nothing checked
        }
        if (found == null) fail("no log line with " + String.join(" and ", needles) + " in:\n" + text());
        return found;
    }

    @Override
    public void close() {
        System.setErr(original);
    }
}
