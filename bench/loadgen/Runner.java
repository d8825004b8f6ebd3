package loadgen;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop load: C virtual threads each run sessions back to back. A warm-up phase (not
 * measured; the JIT and Dovecot's indexes settle) is followed by the measured phase; each
 * phase stops by itself at its time limit or its session count, whichever comes first.
 */
final class Runner {
    private final Options o;
    private final AtomicLong seq = new AtomicLong();
    private final AtomicLong done = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong resumed = new AtomicLong();
    private final ConcurrentLinkedQueue<String> samples = new ConcurrentLinkedQueue<>();

    Runner(Options o) {
        this.o = o;
    }

    Result run() throws InterruptedException {
        if (o.warmup() > 0) phase("warmup", o.warmup(), Math.max(1, o.maxSessions() / 5));
        done.set(0);
        errors.set(0);
        bytes.set(0);
        resumed.set(0);
        long cpu0 = Proc.cpuMillis(o.pid(), o.clkTck());
        long aux0 = Proc.cpuMillis(o.auxPid(), o.clkTck());
        var threads0 = Proc.threadCpuMillis(o.pid(), o.clkTck());
        long t0 = System.nanoTime();
        List<Lat> lats = phase("measure", o.seconds(), o.maxSessions());
        double secs = (System.nanoTime() - t0) / 1e9;
        long cpu1 = Proc.cpuMillis(o.pid(), o.clkTck());
        long aux1 = Proc.cpuMillis(o.auxPid(), o.clkTck());
        var threads1 = Proc.threadCpuMillis(o.pid(), o.clkTck());
        String threads = Proc.threadShare(threads0, threads1);
        long jitMs = Proc.groupDelta(threads0, threads1, Proc.JIT_THREADS);
        long[] sorted = Lat.merge(lats);
        long n = done.get();
        double cpu = cpu0 < 0 || cpu1 < 0 || n == 0 ? -1 : (double) (cpu1 - cpu0) / n;
        double aux = aux0 < 0 || aux1 < 0 || n == 0 ? -1 : (double) (aux1 - aux0) / n;
        double mbs = o.scenario().equals("bigfetch") ? bytes.get() / 1048576.0 / secs : -1;
        String note = threads;
        if (o.tls() && o.shortConnection()) note = resumedNote(n) + (note.isEmpty() ? "" : "; " + note);
        if (!samples.isEmpty()) note += (note.isEmpty() ? "" : "; ") + "first error: " + samples.peek();
        return new Result(o.scenario(), o.tls(), o.target(), o.concurrency(), n, secs, n / secs,
                Result.percentile(sorted, 50) / 1000.0, Result.percentile(sorted, 99) / 1000.0,
                errors.get(), mbs, cpu, aux, -1, jitMs < 0 || n == 0 ? -1 : (double) jitMs / n, note);
    }

    /** The share of measured TLS connections that resumed a session; loud when tls-resume mostly did not. */
    private String resumedNote(long n) {
        double share = n == 0 ? 0 : (double) resumed.get() / n;
        String s = String.format(Locale.ROOT, "resumed %.1f%% (%d of %d)", 100 * share, resumed.get(), n);
        if (o.resume() && share < RESUMED_AT_LEAST) {
            failedResumption = true;
            System.err.printf(Locale.ROOT, "%nloadgen: FAILED: %s %s: only %s of the connections resumed their TLS"
                    + " session: the figures are full handshakes, not resumptions%n%n", o.scenario(), o.target(), s);
            return "FAILED: " + s;
        }
        return s;
    }

    /** Below this share of resumed connections tls-resume fails: its figure would be a full handshake's. */
    static final double RESUMED_AT_LEAST = 0.9;
    private boolean failedResumption;

    /** True when tls-resume measured mostly full handshakes (the run's exit status says so). */
    boolean failedResumption() {
        return failedResumption;
    }

    private List<Lat> phase(String name, double seconds, long max) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        AtomicLong issued = new AtomicLong();
        List<Lat> lats = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < o.concurrency(); i++) {
            Lat lat = new Lat();
            lats.add(lat);
            Runnable r = o.scenario().equals("bigfetch")
                    ? () -> fetchWorker(deadline, issued, max, lat)
                    : () -> sessionWorker(deadline, issued, max, lat);
            workers.add(Thread.ofVirtual().name("worker-" + i).start(r));
        }
        Progress p = Progress.start(() -> String.format(Locale.ROOT, "%s %s %5.1fs  ok=%d  errors=%d  %.0f/s",
                name, label(), (System.nanoTime() - start) / 1e9, done.get(), errors.get(),
                done.get() / Math.max(1e-9, (System.nanoTime() - start) / 1e9)));
        // Every read has a socket timeout, so workers end soon after the deadline; the
        // bound here only protects the run from a wedged peer.
        long joinUntil = deadline + TimeUnit.MILLISECONDS.toNanos(o.timeoutMs() * 8L);
        for (Thread w : workers) {
            long left = joinUntil - System.nanoTime();
            if (left <= 0 || !w.join(java.time.Duration.ofNanos(left))) {
                samples.add("worker still busy after the time limit");
                break;
            }
        }
        p.stop();
        return lats;
    }

    private void sessionWorker(long deadline, AtomicLong issued, long max, Lat lat) {
        byte[] scratch = new byte[64 * 1024];
        String resumeAs = o.resume() ? Thread.currentThread().getName() + ".bench.invalid" : null;
        while (System.nanoTime() < deadline && issued.incrementAndGet() <= max) {
            long s = seq.getAndIncrement();
            long t = System.nanoTime();
            try (Conn c = Conn.open(o.connect(), o.source(s), o.tls(), o.timeoutMs(), resumeAs, o.tlsVersion())) {
                if (c.resumed()) resumed.incrementAndGet();
                long b = o.shortConnection() ? greetingLogout(c, scratch) : switch (o.scenario()) {
                    case "imap" -> Flows.imapSession(c, o.account(s), scratch);
                    case "pop3" -> Flows.pop3Session(c, o.account(s));
                    case "smtp" -> Flows.smtpSession(c, o.account(s));
                    default -> throw new IllegalStateException(o.scenario());
                };
                lat.add((System.nanoTime() - t) / 1000);
                bytes.addAndGet(b);
                done.incrementAndGet();
            } catch (IOException | RuntimeException e) {
                failed(e);
            }
        }
    }

    private static long greetingLogout(Conn c, byte[] scratch) throws IOException {
        Flows.imapGreetingLogout(c, scratch);
        return 0;
    }

    /** bigfetch: one logged-in session FETCHes the 5 MB message again and again. */
    private void fetchWorker(long deadline, AtomicLong issued, long max, Lat lat) {
        byte[] scratch = new byte[256 * 1024];
        while (System.nanoTime() < deadline) {
            long s = seq.getAndIncrement();
            try (Conn c = Conn.open(o.connect(), o.source(s), o.tls(), o.timeoutMs())) {
                Flows.imapOpen(c, o.account(s), "Big", scratch);
                int tag = 0;
                while (System.nanoTime() < deadline && issued.incrementAndGet() <= max) {
                    long t = System.nanoTime();
                    long b = Flows.imapFetch(c, "f" + (++tag), 1, scratch);
                    lat.add((System.nanoTime() - t) / 1000);
                    bytes.addAndGet(b);
                    done.incrementAndGet();
                }
                Flows.imapLogout(c, "z", scratch);
                return;
            } catch (IOException | RuntimeException e) {
                failed(e);
            }
        }
    }

    private void failed(Exception e) {
        errors.incrementAndGet();
        if (samples.size() < 5) samples.add(e.toString());
        try {
            Thread.sleep(20); // no hot loop against a refusing server
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    List<String> errorSamples() {
        return List.copyOf(samples);
    }

    private String label() {
        return o.scenario() + (o.tls() ? "/tls" : "") + " " + o.target();
    }
}
