package mailproxy.testing;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What every real server fixture has: its own directory (config, run, state, mail, log),
 * an instance name made from it that the server writes into banners and log lines, and
 * its log file to wait on.
 */
public abstract class RealServer {
    protected final Path dir;
    protected final String instance;
    protected final LogFile log;

    RealServer(Path dir, String logFileName) {
        this.dir = dir;
        this.instance = "mailproxy-" + dir.getFileName();
        this.log = new LogFile(dir.resolve(logFileName));
    }

    public String instanceName() { return instance; }

    public Path dir() { return dir; }

    public LogFile logFile() { return log; }

    /** The whole log now. */
    public String log() { return log.text(); }

    /** Current end of the log, for {@link #awaitLog(long, String, Duration)}. */
    public long logMark() { return log.mark(); }

    /** Waits for a log line containing {@code needle}; returns it (AssertionError on timeout). */
    public String awaitLog(String needle, Duration timeout) {
        return log.await(needle, timeout);
    }

    /** Like {@link #awaitLog(String, Duration)} but only lines written after {@code mark}. */
    public String awaitLog(long mark, String needle, Duration timeout) {
        return log.awaitSince(mark, needle, timeout);
    }
}
