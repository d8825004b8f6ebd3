package loadgen;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * scale: does a login cost the same while the proxy holds thousands of sessions, and what
 * does each held session cost in memory? In one run against one target:
 * <ol>
 *   <li>the login load (connect, LOGIN, SELECT, LOGOUT; C at once) with no session held,
 *       after an unmeasured warm-up;</li>
 *   <li>a ramp to N held sessions (LOGIN, SELECT, then idle), pausing at each checkpoint and
 *       at N to read the proxy's RSS: RSS growth per held session at each point;</li>
 *   <li>the same login load with the N sessions held: its p99 ÷ the p99 with none;</li>
 *   <li>NOOP on every held session (each must answer), then all are closed and the load runs
 *       a third time: how much the machine's noise alone moves the figures.</li>
 * </ol>
 * With a control (--control-connect: a second instance of the same proxy that holds
 * nothing), every login load runs against both at the same moment, C clients each. The
 * machine's noise then hits both alike, and (target p99 ÷ control p99) with N held over
 * the same with none held is the cost of the held sessions without that noise.
 * N is lowered (and the note says so) when the target could not hold N held sessions plus
 * the C of the login load: its session cap (--session-cap) or its open-file limit, at two
 * descriptors per relayed session.
 */
final class Scale {
    private static final long SETTLE_MS = 2000;

    private final Options o;
    private final ConcurrentLinkedQueue<String> samples = new ConcurrentLinkedQueue<>();
    private final List<Result> rows = new ArrayList<>();
    private String fdNote = "";

    Scale(Options o) {
        this.o = o;
    }

    List<Result> run() throws InterruptedException {
        // The load's accounts and source ports are numbered apart from the held sessions'.
        LoginLoad load = new LoginLoad(o, 10_000_000L, samples, true);
        LoginLoad ctl = o.controlConnect() == null ? null : new LoginLoad(o.control(), 20_000_000L, samples, false);
        if (o.warmup() > 0) measure(load, ctl, "warm-up", o.warmup());
        LoginLoad.Phase[] none = measure(load, ctl, "login, 0 held", o.seconds());
        addLogin("0", none, "");
        Thread.sleep(1000);

        StringBuilder capNote = new StringBuilder();
        int n = heldTarget(capNote);
        // The RSS baseline of a proxy that has just been busy, then (for a JVM) the live heap:
        // a class histogram collects first, and a full GC may shrink the heap, which the
        // ramp would grow again: read after it, the baseline would charge that to the sessions.
        long rss0 = Proc.rssKb(o.pid());
        long fds0 = Proc.fds(o.pid());
        long live0 = o.gcCmd() == null ? -1 : Idle.liveHeapBytes(Idle.runCapture(o.gcCmd()));
        if (live0 >= 0) Thread.sleep(500);
        long cpu0 = Proc.cpuMillis(o.pid(), o.clkTck());
        long aux0 = Proc.cpuMillis(o.auxPid(), o.clkTck());
        var threads0 = Proc.threadCpuMillis(o.pid(), o.clkTck());

        Held held = new Held(o, n, o.rampConcurrency(), samples);
        long start = System.nanoTime();
        long deadline = start + (long) (Math.max(60, n / 50.0) * 1e9);
        long rampNanos = 0;
        Progress p = Progress.start(() -> String.format(Locale.ROOT, "scale %s ramp %5.1fs  held=%d/%d  errors=%d",
                o.target(), (System.nanoTime() - start) / 1e9, held.open(), n, held.errors()));
        List<Integer> points = new ArrayList<>();
        for (int k : o.checkpoints()) if (k > 0 && k < n) points.add(k);
        points.add(n);
        Result last = null;
        for (int k : points) {
            long t = System.nanoTime();
            held.rampTo(k, deadline);
            rampNanos += System.nanoTime() - t;
            long cpu = Proc.cpuMillis(o.pid(), o.clkTck());
            long aux = Proc.cpuMillis(o.auxPid(), o.clkTck());
            long jit = Proc.groupDelta(threads0, Proc.threadCpuMillis(o.pid(), o.clkTck()), Proc.JIT_THREADS);
            Thread.sleep(SETTLE_MS); // the proxy finishes its per-session work (logs, GC) first
            long rss = Proc.rssKb(o.pid());
            long h = held.open();
            long[] lat = held.latencies();
            double secs = rampNanos / 1e9;
            String note = rss0 < 0 ? "" : String.format(Locale.ROOT, "rss %d->%d KB, fds %d->%d", rss0, rss,
                    fds0, Proc.fds(o.pid()));
            last = new Result(k == n ? "scale-hold-" + o.idleSessions() : "scale-hold-" + k, o.tls(), o.target(),
                    o.rampConcurrency(), h, secs, h / secs, Result.percentile(lat, 50) / 1000.0,
                    Result.percentile(lat, 99) / 1000.0, held.errors(), -1, perSession(cpu0, cpu, h),
                    perSession(aux0, aux, h), rss0 < 0 || rss < 0 || h == 0 ? -1 : (rss - rss0) / (double) h,
                    jit < 0 || h == 0 ? -1 : jit / (double) h, note);
            if (k != n) rows.add(last);
        }
        p.stop();

        long h = held.open();
        LoginLoad.Phase[] with = measure(load, ctl, "login, " + h + " held", o.seconds());
        List<String> note = new ArrayList<>();
        if (!last.note().isEmpty()) note.add(last.note());
        if (o.gcCmd() != null && o.pid() > 0 && h > 0) {
            String histogram = Idle.runCapture(o.gcCmd());
            long live1 = Idle.liveHeapBytes(histogram);
            if (live0 >= 0 && live1 >= 0) {
                note.add(String.format(Locale.ROOT, "live heap %.1f KB/session (full GC, class histogram)",
                        (live1 - live0) / 1024.0 / h));
            }
            keep(histogram);
        }
        long alive = held.noopAll();
        note.add(alive == h ? "all " + h + " answered NOOP after the load" : (h - alive) + " of " + h
                + " dead after the load");
        if (!fdNote.isEmpty()) note.add(fdNote);
        if (!capNote.isEmpty()) note.add(capNote.toString());
        rows.add(new Result(last.scenario(), last.tls(), last.target(), last.concurrency(), last.sessions(),
                last.seconds(), last.rate(), last.p50ms(), last.p99ms(), last.errors() + (h - alive), -1,
                last.cpuMsPerSession(), last.auxMsPerSession(), last.rssKbPerSession(), last.jitMsPerSession(),
                String.join(", ", note)));
        addLogin(Integer.toString(o.idleSessions()), with, String.format(Locale.ROOT,
                "%d held; p99 ÷ p99 with none held %.2f, p50 ÷ %.2f", h, with[0].p(99) / none[0].p(99),
                with[0].p(50) / none[0].p(50)) + (ctl == null ? "" : String.format(Locale.ROOT,
                "; against the control: p99 %.2f, p50 %.2f", ratio(with, none, 99), ratio(with, none, 50))));

        held.closeAll();
        waitForRelease(fds0);
        LoginLoad.Phase[] after = measure(load, ctl, "login, released", o.seconds());
        addLogin("after", after, String.format(Locale.ROOT,
                "after the held sessions closed; p99 ÷ p99 before the ramp %.2f", after[0].p(99) / none[0].p(99))
                + (ctl == null ? "" : String.format(Locale.ROOT, "; against the control %.2f", ratio(after, none, 99))));
        if (!samples.isEmpty()) {
            Result r = rows.get(rows.size() - 1);
            rows.remove(rows.size() - 1);
            rows.add(withNote(r, r.note() + "; first error: " + samples.peek()));
        }
        return rows;
    }

    /** N, or fewer if the target cannot hold N plus the login load's C sessions (and says why). */
    private int heldTarget(StringBuilder why) {
        int c = o.concurrency();
        int n = o.idleSessions();
        if (o.sessionCap() > 0 && o.sessionCap() - c < n) {
            n = Math.max(1, o.sessionCap() - c);
            why.append("held ").append(n).append(" not ").append(o.idleSessions()).append(": session cap ")
                    .append(o.sessionCap()).append(" less the ").append(c).append(" of the login load");
        }
        long limit = Proc.fdLimit(o.pid());
        long fds = Proc.fds(o.pid());
        if (limit > 0) fdNote = String.format(Locale.ROOT, "open-file limit %d", limit);
        if (limit > 0 && fds > 0) {
            // Two descriptors per held session; up to three per login in flight (nginx's
            // auth_http connection too); a little room for the process's own.
            long room = (limit - fds - 3L * c - 16) / 2;
            if (room < n) {
                n = (int) Math.max(1, room);
                why.append(why.isEmpty() ? "" : "; ").append("held ").append(n).append(" not ")
                        .append(o.idleSessions()).append(": open-file limit ").append(limit).append(", ")
                        .append(fds).append(" in use before the ramp");
            }
        }
        return n;
    }

    /** Until the proxy has closed what the released sessions held (at most 15 s), then a settle. */
    private void waitForRelease(long fds0) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (fds0 > 0 && Proc.fds(o.pid()) > fds0 + 64 && System.nanoTime() < until) Thread.sleep(100);
        Thread.sleep(SETTLE_MS);
    }

    /** The login load on the target and, at the same moment, on the control; [target, control or null]. */
    private static LoginLoad.Phase[] measure(LoginLoad load, LoginLoad ctl, String name, double seconds)
            throws InterruptedException {
        if (ctl == null) return new LoginLoad.Phase[] {load.run(name, seconds), null};
        LoginLoad.Phase[] out = new LoginLoad.Phase[2];
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                out[1] = ctl.run(name, seconds);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        out[0] = load.run(name, seconds);
        t.join();
        return out;
    }

    /** (target ÷ control) with them held over (target ÷ control) with none, at percentile pct. */
    private static double ratio(LoginLoad.Phase[] with, LoginLoad.Phase[] none, double pct) {
        if (with[1] == null || none[1] == null) return -1;
        return with[0].p(pct) / with[1].p(pct) / (none[0].p(pct) / none[1].p(pct));
    }

    /** Rows scale-login-WHEN (the target) and scale-control-WHEN (the control, if any). */
    private void addLogin(String when, LoginLoad.Phase[] ph, String note) {
        // With a control behind the same auth_http server, that server's CPU served both loads.
        long both = ph[0].sessions() + (ph[1] == null ? 0 : ph[1].sessions());
        rows.add(loginRow("scale-login-" + when, o, ph[0], both, note));
        if (ph[1] != null) rows.add(loginRow("scale-control-" + when, o.control(), ph[1], 0, "control, nothing held"));
    }

    private static Result loginRow(String scenario, Options o, LoginLoad.Phase ph, long auxSessions, String note) {
        long n = ph.sessions();
        return new Result(scenario, o.tls(), o.target(), o.concurrency(), n, ph.seconds(), n / ph.seconds(),
                ph.p(50), ph.p(99), ph.errors(), -1, n == 0 || ph.cpuMs() < 0 ? -1 : ph.cpuMs() / (double) n,
                auxSessions == 0 || ph.auxMs() < 0 ? -1 : ph.auxMs() / (double) auxSessions, -1,
                n == 0 || ph.jitMs() < 0 ? -1 : ph.jitMs() / (double) n, note);
    }

    private static Result withNote(Result r, String note) {
        return new Result(r.scenario(), r.tls(), r.target(), r.concurrency(), r.sessions(), r.seconds(), r.rate(),
                r.p50ms(), r.p99ms(), r.errors(), r.mbPerSec(), r.cpuMsPerSession(), r.auxMsPerSession(),
                r.rssKbPerSession(), r.jitMsPerSession(), note);
    }

    private static double perSession(long before, long after, long sessions) {
        return before < 0 || after < 0 || sessions == 0 ? -1 : (after - before) / (double) sessions;
    }

    private void keep(String histogram) {
        if (o.gcOut() == null) return;
        try {
            java.nio.file.Files.writeString(o.gcOut(), histogram);
        } catch (IOException e) {
            System.err.println("cannot write " + o.gcOut() + ": " + e);
        }
    }
}
