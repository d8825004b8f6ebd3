package loadgen;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The scale scenario's login load: C virtual threads each run connect, LOGIN, SELECT INBOX,
 * LOGOUT back to back for a fixed time (closed loop). Its latency is what a new user sees
 * while the proxy holds however many sessions it holds at that moment.
 */
final class LoginLoad {
    /** One phase: sessions done, its length, sorted latencies (µs), errors, the proxy's CPU. */
    record Phase(long sessions, double seconds, long[] sorted, long errors, long cpuMs, long auxMs, long jitMs) {
        double p(double pct) {
            return Result.percentile(sorted, pct) / 1000.0;
        }
    }

    private final Options o;
    private final AtomicLong seq;
    private final ConcurrentLinkedQueue<String> samples;
    private final boolean progress;

    /** {@code firstSeq}: where this load's account and source numbering starts. */
    LoginLoad(Options o, long firstSeq, ConcurrentLinkedQueue<String> samples, boolean progress) {
        this.o = o;
        this.seq = new AtomicLong(firstSeq);
        this.samples = samples;
        this.progress = progress;
    }

    Phase run(String name, double seconds) throws InterruptedException {
        AtomicLong done = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long cpu0 = Proc.cpuMillis(o.pid(), o.clkTck());
        long aux0 = Proc.cpuMillis(o.auxPid(), o.clkTck());
        var threads0 = Proc.threadCpuMillis(o.pid(), o.clkTck());
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        List<Lat> lats = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < o.concurrency(); i++) {
            Lat lat = new Lat();
            lats.add(lat);
            workers.add(Thread.ofVirtual().start(() -> loop(deadline, lat, done, errors)));
        }
        Progress p = !progress ? null : Progress.start(() -> String.format(Locale.ROOT, "scale %s %s %5.1fs  ok=%d  errors=%d",
                o.target(), name, (System.nanoTime() - start) / 1e9, done.get(), errors.get()));
        // Every read has a socket timeout; this bound only protects the run from a wedged peer.
        Held.joinAll(workers, deadline + TimeUnit.MILLISECONDS.toNanos(o.timeoutMs() * 2L));
        if (p != null) p.stop();
        double secs = (System.nanoTime() - start) / 1e9;
        long cpu1 = Proc.cpuMillis(o.pid(), o.clkTck());
        long aux1 = Proc.cpuMillis(o.auxPid(), o.clkTck());
        long jit = Proc.groupDelta(threads0, Proc.threadCpuMillis(o.pid(), o.clkTck()), Proc.JIT_THREADS);
        return new Phase(done.get(), secs, Lat.merge(lats), errors.get(),
                cpu0 < 0 || cpu1 < 0 ? -1 : cpu1 - cpu0, aux0 < 0 || aux1 < 0 ? -1 : aux1 - aux0, jit);
    }

    private void loop(long deadline, Lat lat, AtomicLong done, AtomicLong errors) {
        byte[] scratch = new byte[16 * 1024];
        while (System.nanoTime() < deadline) {
            long s = seq.getAndIncrement();
            long t = System.nanoTime();
            try (Conn c = Conn.open(o.connect(), o.source(s), o.tls(), o.timeoutMs())) {
                Flows.imapOpen(c, o.account(s), "INBOX", scratch);
                Flows.imapLogout(c, "a3", scratch);
                lat.add((System.nanoTime() - t) / 1000);
                done.incrementAndGet();
            } catch (IOException | RuntimeException e) {
                errors.incrementAndGet();
                if (samples.size() < 5) samples.add("login load: " + e);
                try {
                    Thread.sleep(20); // no hot loop against a refusing server
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
