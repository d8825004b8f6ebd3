package mailproxy.route;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Smooth weighted round robin, nginx's (ngx_http_upstream_get_peer): each pick adds every
 * usable server's weight to its current weight, takes the server with the highest current
 * weight and subtracts the total from it. Weights 4,2,1 give a,b,a,c,a,b,a: each server its
 * share, spread out rather than in runs. The servers after the pick follow in pool order.
 */
final class RoundRobin implements Balancer {
    private final ReentrantLock lock = new ReentrantLock();
    private final long[] current;

    RoundRobin(int poolSize) {
        this.current = new long[poolSize];
    }

    @Override
    public List<PoolServer> order(String key, List<PoolServer> from, int max) {
        PoolServer best = null;
        lock.lock();
        try {
            long total = 0;
            for (PoolServer s : from) {
                current[s.index()] += s.weight();
                total += s.weight();
                if (best == null || current[s.index()] > current[best.index()]) best = s;
            }
            current[best.index()] -= total;
        } finally {
            lock.unlock();
        }
        int at = from.indexOf(best);
        List<PoolServer> out = new ArrayList<>(Math.min(from.size(), max));
        for (int i = 0; i < from.size() && out.size() < max; i++) out.add(from.get((at + i) % from.size()));
        return out;
    }
}
