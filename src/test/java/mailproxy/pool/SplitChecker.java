package mailproxy.pool;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Finds users split across servers (README.md, "Why a user stays on one server"): two
 * sessions of one user open at the same time on two different backends. Each session is
 * recorded as its client saw it: its backend (which the client learned from the server
 * itself) and a time interval during which the server surely had the session open: from
 * the login's OK received until the client sent its LOGOUT (or, for a session that broke,
 * received its last answer). Both ends lie inside the server's own session, so an overlap
 * of two intervals is an overlap of two server sessions: no false alarm from the client's
 * clock. A server the harness killed ends every session on it at the moment of the kill
 * (its sessions die with it, and the proxy forgets its users then), however late its
 * clients notice. Times are {@link System#nanoTime()} values; reports count milliseconds
 * from the checker's start. Thread-safe: client threads record while the harness kills.
 */
final class SplitChecker {
    /** One session as its client saw it. */
    record Session(String user, String server, String protocol, long opened, long closed) {}

    /** Two sessions of one user on two servers at once. */
    record Split(Session first, Session second) {}

    private final long start;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Session> sessions = new ArrayList<>();
    private final Map<String, List<Long>> kills = new HashMap<>();

    SplitChecker(long start) {
        this.start = start;
    }

    /** A session of {@code user} on {@code server}, open from {@code opened} to {@code closed}. */
    void session(String user, String server, String protocol, long opened, long closed) {
        if (closed < opened) throw new IllegalArgumentException("closed before opened: " + user + " on " + server);
        lock.lock();
        try {
            sessions.add(new Session(user, server, protocol, opened, closed));
        } finally {
            lock.unlock();
        }
    }

    /** {@code server} was killed at {@code at}: its sessions open then ended then. */
    void killed(String server, long at) {
        lock.lock();
        try {
            kills.computeIfAbsent(server, s -> new ArrayList<>()).add(at);
        } finally {
            lock.unlock();
        }
    }

    /** Every pair of one user's sessions open at once on two servers, by user, then time. */
    List<Split> splits() {
        Map<String, List<Session>> byUser = new TreeMap<>();
        for (Session s : sessions()) byUser.computeIfAbsent(s.user(), u -> new ArrayList<>()).add(s);
        List<Split> out = new ArrayList<>();
        for (List<Session> mine : byUser.values()) {
            mine.sort(Comparator.comparingLong(Session::opened));
            for (int i = 0; i < mine.size(); i++) {
                for (int j = i + 1; j < mine.size() && mine.get(j).opened() < mine.get(i).closed(); j++) {
                    if (!mine.get(i).server().equals(mine.get(j).server())) out.add(new Split(mine.get(i), mine.get(j)));
                }
            }
        }
        return out;
    }

    /** The sessions recorded, each ended at its server's kill where one came first. */
    List<Session> sessions() {
        lock.lock();
        try {
            List<Session> out = new ArrayList<>(sessions.size());
            for (Session s : sessions) out.add(clipped(s));
            return out;
        } finally {
            lock.unlock();
        }
    }

    private Session clipped(Session s) {
        long end = s.closed();
        for (long k : kills.getOrDefault(s.server(), List.of())) {
            if (k >= s.opened() && k < end) end = k;
        }
        return end == s.closed() ? s : new Session(s.user(), s.server(), s.protocol(), s.opened(), end);
    }

    /** Sessions recorded per server. */
    Map<String, Integer> perServer() {
        Map<String, Integer> out = new TreeMap<>();
        for (Session s : sessions()) out.merge(s.server(), 1, Integer::sum);
        return out;
    }

    /** What a failed run says: each split with its user, both servers and both intervals. */
    String report(List<Split> splits) {
        StringBuilder b = new StringBuilder().append(splits.size()).append(" split session pair(s):\n");
        for (Split s : splits) {
            b.append("  user ").append(s.first().user()).append(": ").append(describe(s.first()))
                    .append(" and ").append(describe(s.second())).append('\n');
        }
        return b.toString();
    }

    private String describe(Session s) {
        return s.protocol() + " on " + s.server() + " [" + ms(s.opened()) + " ms, " + ms(s.closed()) + " ms]";
    }

    private long ms(long nanos) {
        return (nanos - start) / 1_000_000;
    }
}
