package mailproxy.trace;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import mailproxy.config.ListenerConfig;
import mailproxy.config.TraceConfig;
import mailproxy.wire.Cidr;

/**
 * Who is traced: the config's mailproxy.trace (replaced on reload) and what the admin
 * switched on at run time (kept across reloads). One per server; safe for concurrent use.
 * Asked once per session (and per login while users are watched), so a proxy with no
 * trace pays a few field reads per session.
 */
public final class TraceSwitch {
    private volatile TraceConfig config;
    private final Set<String> adminUsers = ConcurrentHashMap.newKeySet();
    private final Set<String> adminClients = ConcurrentHashMap.newKeySet();
    private volatile List<Cidr> adminRanges = List.of();
    /** What the sessions waiting for their user's name keep, together (trace.pending-total). */
    private final PendingLines.Budget pendingBudget = new PendingLines.Budget();

    public TraceSwitch(TraceConfig config) {
        this.config = config;
    }

    /** The config's part after a reload; the admin's part stays. */
    public void config(TraceConfig c) { this.config = c; }

    TraceConfig config() { return config; }

    /**
     * The trace of a new session, or null when nothing can want it (then the session pays
     * nothing more): its listener traces, its client address is watched, or users are
     * (then it keeps its redacted lines until its user is known).
     */
    public SessionTrace start(ListenerConfig listener, String sessionId, InetAddress client) {
        TraceConfig c = config;
        String why = null;
        if (listener.trace()) why = "listener " + listener.name();
        else if (!c.clients().isEmpty() && c.clients().contains(client)) why = "client in trace.clients";
        else if (adminRange(client)) why = "client switched on by the admin";
        if (why != null) return new SessionTrace(this, listener, sessionId, c, true, why);
        if (!c.users().isEmpty() || !adminUsers.isEmpty()) {
            return new SessionTrace(this, listener, sessionId, c, false, null);
        }
        return null;
    }

    private boolean adminRange(InetAddress a) {
        for (Cidr r : adminRanges) if (r.contains(a)) return true;
        return false;
    }

    PendingLines.Budget pendingBudget() { return pendingBudget; }

    /** Bytes the sessions waiting for their user's name keep now, all together. */
    long pendingBytes() { return pendingBudget.held(); }

    /** Whether sessions of this login name are traced (config or admin). */
    boolean wantsUser(String user) {
        if (user == null) return false;
        String u = user.toLowerCase(Locale.ROOT);
        return config.users().contains(u) || adminUsers.contains(u);
    }

    /** The admin: trace this user's next sessions, or stop. */
    public void user(String name, boolean on) {
        String u = name.toLowerCase(Locale.ROOT);
        if (on) adminUsers.add(u);
        else adminUsers.remove(u);
    }

    /**
     * The admin: trace the next sessions from this address or range, or stop.
     *
     * @throws IllegalArgumentException when it is not an address or range
     */
    public void client(String range, boolean on) {
        Cidr.parse(range);
        if (on) adminClients.add(range.trim());
        else adminClients.remove(range.trim());
        List<Cidr> ranges = new ArrayList<>();
        for (String r : adminClients) ranges.add(Cidr.parse(r));
        adminRanges = List.copyOf(ranges);
    }

    /** What is traced now, one "kind value (source)" per line. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (String u : new TreeSet<>(config.users())) b.append("user ").append(u).append(" (config)\n");
        for (String u : new TreeSet<>(adminUsers)) b.append("user ").append(u).append(" (admin)\n");
        for (Cidr c : config.clients().ranges()) b.append("client ").append(c).append(" (config)\n");
        for (String c : new TreeSet<>(adminClients)) b.append("client ").append(c).append(" (admin)\n");
        return b.toString();
    }
}
