package loadgen;

import java.util.Arrays;

/** A growable list of latencies in microseconds, one per worker (no sharing while measuring). */
final class Lat {
    private long[] v = new long[1024];
    private int n;

    void add(long micros) {
        if (n == v.length) v = Arrays.copyOf(v, n * 2);
        v[n++] = micros;
    }

    static long[] merge(Iterable<Lat> all) {
        int total = 0;
        for (Lat l : all) total += l.n;
        long[] out = new long[total];
        int at = 0;
        for (Lat l : all) {
            System.arraycopy(l.v, 0, out, at, l.n);
            at += l.n;
        }
        Arrays.sort(out);
        return out;
    }
}
