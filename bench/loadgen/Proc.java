package loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU and memory of another process from /proc, so the figures are the proxy's own cost
 * whatever else the machine is doing (a busy 2-core box still compares fairly).
 */
final class Proc {
    private Proc() {}

    /** utime + stime of the whole process (all threads, live and ended) in milliseconds; -1 if unknown. */
    static long cpuMillis(long pid, int clkTck) {
        if (pid <= 0) return -1;
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // Fields after "(comm)": state is field 3, utime 14, stime 15 (proc(5)).
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return ticks * 1000L / clkTck;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** VmRSS in KB; -1 if unknown. */
    static long rssKb(long pid) {
        if (pid <= 0) return -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return -1;
    }

    /** Open file descriptors; -1 if unknown. */
    static long fds(long pid) {
        if (pid <= 0) return -1;
        try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return s.count();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
