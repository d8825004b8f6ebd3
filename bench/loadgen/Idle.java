package loadgen;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * idle: log N IMAP sessions in (LOGIN, SELECT INBOX) and hold them. The proxy's RSS is read
 * before the ramp and after it (having let it settle); the delta over the sessions held is
 * the memory one idle logged-in session costs. Then every session must still answer NOOP.
 * The ramp is bounded by --seconds and N; the hold by --hold.
 */
final class Idle {
    private final Options o;
    private final Conn[] conns;
    private final AtomicLong next = new AtomicLong();
    private final AtomicLong open = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final ConcurrentLinkedQueue<String> samples = new ConcurrentLinkedQueue<>();

    Idle(Options o) {
        this.o = o;
        this.conns = new Conn[o.idleSessions()];
    }

    Result run() throws InterruptedException {
        settle(1000);
        // The RSS baseline first, then (with a heap command: a JVM's class histogram, which
        // collects first) the live heap. Read after a full GC, the baseline would miss the
        // heap that GC gave back, and the ramp's growing it again would be charged to the
        // sessions (13.5 KB per idle session where scale's 2,000 -> 9,900 growth said 7.0).
        long rss0 = Proc.rssKb(o.pid());
        long live0 = o.gcCmd() == null ? -1 : liveHeapBytes(runCapture(o.gcCmd()));
        if (live0 >= 0) settle(500);
        long cpu0 = Proc.cpuMillis(o.pid(), o.clkTck());
        long aux0 = Proc.cpuMillis(o.auxPid(), o.clkTck());
        var threads0 = Proc.threadCpuMillis(o.pid(), o.clkTck());
        long start = System.nanoTime();
        long deadline = start + (long) (o.seconds() * 1e9);
        List<Lat> lats = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < o.concurrency(); i++) {
            Lat lat = new Lat();
            lats.add(lat);
            workers.add(Thread.ofVirtual().start(() -> ramp(deadline, lat)));
        }
        Progress p = Progress.start(() -> String.format(Locale.ROOT, "idle %s %5.1fs  held=%d/%d  errors=%d",
                label(), (System.nanoTime() - start) / 1e9, open.get(), conns.length, errors.get()));
        joinAll(workers, deadline + TimeUnit.MILLISECONDS.toNanos(o.timeoutMs() * 4L));
        p.stop();
        double rampSecs = (System.nanoTime() - start) / 1e9;
        long cpu1 = Proc.cpuMillis(o.pid(), o.clkTck());
        long aux1 = Proc.cpuMillis(o.auxPid(), o.clkTck());
        long jitMs = Proc.groupDelta(threads0, Proc.threadCpuMillis(o.pid(), o.clkTck()), Proc.JIT_THREADS);
        settle(2000); // let the proxy finish its per-session work (logs, GC) before reading RSS
        long rss1 = Proc.rssKb(o.pid());
        long fds = Proc.fds(o.pid());
        long held = open.get();
        StringBuilder note = new StringBuilder();
        if (rss0 >= 0) note.append(String.format(Locale.ROOT, "rss %d->%d KB, fds %d", rss0, rss1, fds));
        if (o.gcCmd() != null && o.pid() > 0 && held > 0) {
            String histogram = runCapture(o.gcCmd());
            long live1 = liveHeapBytes(histogram);
            settle(1000);
            long rss2 = Proc.rssKb(o.pid());
            if (live0 >= 0 && live1 >= 0) {
                note.append(String.format(Locale.ROOT, ", live heap %.1f KB/session (full GC, class histogram)",
                        (live1 - live0) / 1024.0 / held));
            }
            note.append(String.format(Locale.ROOT, ", RSS after that GC %d KB", rss2));
            if (o.gcOut() != null) {
                try {
                    java.nio.file.Files.writeString(o.gcOut(), histogram);
                } catch (IOException e) {
                    System.err.println("cannot write " + o.gcOut() + ": " + e);
                }
            }
        }
        settle((long) (o.hold() * 1000));
        long alive = check();
        if (alive < held) note.append(note.isEmpty() ? "" : ", ").append(held - alive).append(" sessions dead after hold");
        closeAll();
        if (!samples.isEmpty()) note.append(note.isEmpty() ? "" : ", ").append("first error: ").append(samples.peek());
        long[] sorted = Lat.merge(lats);
        return new Result("idle", o.tls(), o.target(), o.concurrency(), held, rampSecs, held / rampSecs,
                Result.percentile(sorted, 50) / 1000.0, Result.percentile(sorted, 99) / 1000.0,
                errors.get() + (held - alive), -1,
                cpu0 < 0 || cpu1 < 0 || held == 0 ? -1 : (cpu1 - cpu0) / (double) held,
                aux0 < 0 || aux1 < 0 || held == 0 ? -1 : (aux1 - aux0) / (double) held,
                rss0 < 0 || rss1 < 0 || held == 0 ? -1 : (rss1 - rss0) / (double) held,
                jitMs < 0 || held == 0 ? -1 : jitMs / (double) held, note.toString());
    }

    private void ramp(long deadline, Lat lat) {
        byte[] scratch = new byte[16 * 1024];
        while (System.nanoTime() < deadline) {
            long i = next.getAndIncrement();
            if (i >= conns.length) return;
            long t = System.nanoTime();
            Conn c = null;
            try {
                c = Conn.open(o.connect(), o.source(i), o.tls(), o.timeoutMs());
                Flows.imapOpen(c, o.account(i), "INBOX", scratch);
                conns[(int) i] = c;
                open.incrementAndGet();
                lat.add((System.nanoTime() - t) / 1000);
            } catch (IOException | RuntimeException e) {
                if (c != null) c.close();
                errors.incrementAndGet();
                if (samples.size() < 5) samples.add(e.toString());
            }
        }
    }

    /** NOOP on every held session, C at a time; returns how many answered OK. */
    private long check() throws InterruptedException {
        AtomicLong idx = new AtomicLong();
        AtomicLong ok = new AtomicLong();
        List<Thread> ts = new ArrayList<>();
        for (int w = 0; w < o.concurrency(); w++) {
            ts.add(Thread.ofVirtual().start(() -> {
                byte[] scratch = new byte[16 * 1024];
                for (long i; (i = idx.getAndIncrement()) < conns.length; ) {
                    Conn c = conns[(int) i];
                    if (c == null) continue;
                    try {
                        Flows.imapNoop(c, "n1", scratch);
                        ok.incrementAndGet();
                    } catch (IOException | RuntimeException e) {
                        if (samples.size() < 5) samples.add("after hold: " + e);
                    }
                }
            }));
        }
        joinAll(ts, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(o.timeoutMs() * 4L));
        return ok.get();
    }

    private void closeAll() {
        for (Conn c : conns) {
            if (c != null) c.close();
        }
    }

    private static void joinAll(List<Thread> ts, long until) throws InterruptedException {
        for (Thread t : ts) {
            long left = until - System.nanoTime();
            if (left <= 0 || !t.join(java.time.Duration.ofNanos(left))) return;
        }
    }

    private static void settle(long ms) throws InterruptedException {
        Thread.sleep(ms);
    }

    /** Runs a shell command, returns its stdout ("" on failure); bounded to 60 s. */
    static String runCapture(String cmd) {
        try {
            Process p = new ProcessBuilder("sh", "-c", cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            byte[] out = p.getInputStream().readNBytes(16 << 20);
            if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
            return new String(out, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            System.err.println("heap command failed: " + e);
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** The bytes column of a class histogram's "Total" line; -1 if there is none. */
    static long liveHeapBytes(String histogram) {
        for (String line : histogram.split("\n")) {
            String t = line.trim();
            if (t.startsWith("Total")) {
                String[] f = t.split("\\s+");
                try {
                    return Long.parseLong(f[f.length - 1]);
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private String label() {
        return (o.tls() ? "tls " : "") + o.target();
    }
}
