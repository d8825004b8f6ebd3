package mailproxy.route;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fewest open sessions per weight first (nginx least_conn compares conns/weight the same
 * way); servers that tie are taken in turn, so an idle pool still spreads its logins.
 */
final class LeastConnections implements Balancer {
    private final AtomicLong turn = new AtomicLong();

    @Override
    public List<PoolServer> order(String key, List<PoolServer> from, int max) {
        int n = from.size();
        int start = (int) Math.floorMod(turn.getAndIncrement(), (long) n);
        long[] active = new long[n];
        List<Integer> idx = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            active[i] = Math.max(0, from.get(i).active()); // one snapshot: the comparator must agree with itself
            idx.add(i);
        }
        idx.sort((a, b) -> {
            // a/wa < b/wb  ⇔  a·wb < b·wa, exact in longs
            int c = Long.compare(active[a] * from.get(b).weight(), active[b] * from.get(a).weight());
            return c != 0 ? c : Integer.compare(Math.floorMod(a - start, n), Math.floorMod(b - start, n));
        });
        List<PoolServer> out = new ArrayList<>(Math.min(n, max));
        for (int i = 0; i < n && i < max; i++) out.add(from.get(idx.get(i)));
        return out;
    }
}
