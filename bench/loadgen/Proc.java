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

    /**
     * CPU milliseconds per thread group of a process (thread names from each /proc/PID/task/N/comm
     * with digits dropped, so "ForkJoinPool-1-worker-3" and "-7" add up). Threads that end
     * in between are missing from a delta; long-lived ones (carriers, JIT, GC) are there.
     */
    static java.util.Map<String, Long> threadCpuMillis(long pid, int clkTck) {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        if (pid <= 0) return out;
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
                            .replaceAll("[0-9]+", "#");
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long ms = (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 1000L / clkTck;
                    out.merge(name, ms, Long::sum);
                } catch (IOException | RuntimeException e) {
                    // the thread ended while we looked
                }
            }
        } catch (IOException | RuntimeException e) {
            // no such process
        }
        return out;
    }

    /** "name 55%, other 30%" for the groups that grew between two snapshots, largest first. */
    static String threadShare(java.util.Map<String, Long> before, java.util.Map<String, Long> after) {
        java.util.List<java.util.Map.Entry<String, Long>> d = new java.util.ArrayList<>();
        long total = 0;
        for (var e : after.entrySet()) {
            long delta = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            if (delta > 0) {
                d.add(java.util.Map.entry(e.getKey(), delta));
                total += delta;
            }
        }
        if (total == 0 || after.size() < 2) return "";
        d.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
        StringBuilder b = new StringBuilder("threads:");
        for (int i = 0; i < Math.min(5, d.size()); i++) {
            b.append(i == 0 ? " " : ", ").append(label(d.get(i).getKey())).append(' ')
                    .append(Math.round(100.0 * d.get(i).getValue() / total)).append('%');
        }
        return b.toString();
    }

    /** Readable names for the JVM's thread groups (comm is cut at 15 characters). */
    private static String label(String group) {
        return switch (group) {
            case "ForkJoinPool-#-" -> "virtual-thread carriers";
            case JIT_THREADS -> "JIT";
            case "VM Thread" -> "VM thread (GC, safepoints)";
            default -> group;
        };
    }

    /** CPU ms that the thread groups named {@code prefix}... used between two snapshots; -1 if none. */
    static long groupDelta(java.util.Map<String, Long> before, java.util.Map<String, Long> after, String prefix) {
        long sum = 0;
        boolean seen = false;
        for (var e : after.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                seen = true;
                sum += e.getValue() - before.getOrDefault(e.getKey(), 0L);
            }
        }
        return seen ? sum : -1;
    }

    /** The JIT compiler threads of a HotSpot JVM ("C1 CompilerThread0", "C2 CompilerThre" in comm). */
    static final String JIT_THREADS = "C# CompilerThre";

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

    /** The soft limit on open files ("Max open files" in /proc/PID/limits); -1 if unknown. */
    static long fdLimit(long pid) {
        if (pid <= 0) return -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/limits"))) {
                if (line.startsWith("Max open files")) {
                    String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                    return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
                }
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
