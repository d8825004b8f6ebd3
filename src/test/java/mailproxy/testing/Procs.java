package mailproxy.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Running the servers' command-line tools and stopping daemons by PID, always bounded. */
public final class Procs {
    private static final File DEV_NULL = new File("/dev/null");

    private Procs() {}

    /**
     * Runs {@code cmd}, appending its stdout and stderr to {@code output} (a file, not a pipe:
     * daemons forked by the command would keep a pipe open), and returns the exit code.
     */
    public static int run(Path output, Duration timeout, String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(DEV_NULL))
                .start();
        try {
            if (!p.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IOException("timed out after " + timeout + ": " + String.join(" ", cmd));
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", cmd), e);
        }
    }

    /** Runs a short command and returns its trimmed stdout (at most 64 KB), or throws. */
    static String output(Duration timeout, String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(DEV_NULL))
                .start();
        try (InputStream in = p.getInputStream()) {
            byte[] out = in.readNBytes(64 * 1024);
            if (!p.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", cmd));
            }
            if (p.exitValue() != 0) {
                throw new IOException("exit " + p.exitValue() + ": " + String.join(" ", cmd));
            }
            return new String(out, StandardCharsets.UTF_8).trim();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", cmd), e);
        }
    }

    /** The PID in a daemon's pid file (Postfix pads it with spaces), if the file exists. */
    static Optional<Long> readPid(Path pidFile) {
        try {
            return Optional.of(Long.parseLong(Files.readString(pidFile).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Stops a daemon we did not fork (it daemonized): SIGTERM, wait up to {@code grace},
     * then SIGKILL it and the children it had. {@code commandPart} guards against a reused
     * PID: a process whose executable path does not contain it is left alone.
     */
    static void stop(long pid, String commandPart, Duration grace) {
        Optional<ProcessHandle> found = ProcessHandle.of(pid)
                .filter(h -> h.info().command().map(c -> c.contains(commandPart)).orElse(false));
        if (found.isEmpty()) {
            return;
        }
        ProcessHandle master = found.get();
        List<ProcessHandle> children = master.descendants().toList();
        master.destroy();
        if (awaitGone(pid, grace)) {
            return;
        }
        master.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        awaitGone(pid, Duration.ofSeconds(2));
    }

    /** Polls until the process is gone or a zombie (PID 1 in a container may never reap). */
    static boolean awaitGone(long pid, Duration timeout) {
        return Await.until(timeout, () -> !isRunning(pid));
    }

    static boolean isRunning(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            // Field 3 (after "pid (comm) ") is the state; Z = zombie, X = dead.
            char state = close > 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : '?';
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }
}
