package loadgen;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Logged-in IMAP sessions held open (LOGIN, SELECT INBOX, then nothing): ramped up in
 * steps, checked with NOOP, closed. Session i logs in as account i and connects from
 * source i, so N sessions spread over the users and source addresses.
 */
final class Held {
    private final Options o;
    private final Conn[] conns;
    private final AtomicLong next = new AtomicLong();
    private final AtomicLong open = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final List<Lat> lats = new ArrayList<>();
    private final int concurrency;
    private final ConcurrentLinkedQueue<String> samples;

    /** @param concurrency logins (and NOOPs) at once */
    Held(Options o, int capacity, int concurrency, ConcurrentLinkedQueue<String> samples) {
        this.o = o;
        this.conns = new Conn[capacity];
        this.concurrency = concurrency;
        this.samples = samples;
    }

    /** Logs sessions in, {@code concurrency} at a time, until {@code upTo} have been tried or the deadline passes. */
    void rampTo(int upTo, long deadline) throws InterruptedException {
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < concurrency; w++) {
            Lat lat = new Lat();
            lats.add(lat);
            workers.add(Thread.ofVirtual().start(() -> ramp(Math.min(upTo, conns.length), deadline, lat)));
        }
        joinAll(workers, deadline + TimeUnit.MILLISECONDS.toNanos(o.timeoutMs() * 4L));
    }

    private void ramp(int upTo, long deadline, Lat lat) {
        byte[] scratch = new byte[16 * 1024];
        while (System.nanoTime() < deadline) {
            long i = next.getAndIncrement();
            if (i >= upTo) {
                next.getAndDecrement(); // the next step starts here
                return;
            }
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
                if (samples.size() < 5) samples.add("ramp: " + e);
            }
        }
    }

    long open() {
        return open.get();
    }

    long errors() {
        return errors.get();
    }

    /** Login latencies (LOGIN + SELECT, connect included) of the ramp so far, sorted. */
    long[] latencies() {
        return Lat.merge(lats);
    }

    /** NOOP on every held session, {@code concurrency} at a time; returns how many answered OK. */
    long noopAll() throws InterruptedException {
        AtomicLong idx = new AtomicLong();
        AtomicLong ok = new AtomicLong();
        List<Thread> ts = new ArrayList<>();
        for (int w = 0; w < concurrency; w++) {
            ts.add(Thread.ofVirtual().start(() -> {
                byte[] scratch = new byte[16 * 1024];
                for (long i; (i = idx.getAndIncrement()) < conns.length; ) {
                    Conn c = conns[(int) i];
                    if (c == null) continue;
                    try {
                        Flows.imapNoop(c, "n1", scratch);
                        ok.incrementAndGet();
                    } catch (IOException | RuntimeException e) {
                        if (samples.size() < 5) samples.add("NOOP: " + e);
                    }
                }
            }));
        }
        joinAll(ts, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(o.timeoutMs() * 4L));
        return ok.get();
    }

    void closeAll() {
        for (int i = 0; i < conns.length; i++) {
            if (conns[i] != null) conns[i].close();
            conns[i] = null;
        }
        open.set(0);
    }

    static void joinAll(List<Thread> ts, long until) throws InterruptedException {
        for (Thread t : ts) {
            long left = until - System.nanoTime();
            if (left <= 0 || !t.join(java.time.Duration.ofNanos(left))) return;
        }
    }
}
