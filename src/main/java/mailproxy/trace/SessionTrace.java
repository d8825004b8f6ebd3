package mailproxy.trace;

import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.atomic.AtomicInteger;
import mailproxy.config.ListenerConfig;
import mailproxy.config.TraceConfig;
import mailproxy.wire.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One session's protocol trace, written to the logger {@code mailproxy.trace}, one line
 * per protocol line:
 * <pre>
 * 1-x3f 12:00:01.234 client S: * OK [CAPABILITY IMAP4rev1 ...] mailproxy ready
 * 1-x3f 12:00:01.240 client C: a1 LOGIN alice ***
 * 1-x3f 12:00:01.251 backend -- connected to 127.0.0.1:3143
 * 1-x3f 12:00:01.262 backend C: A1 LOGIN {5+}
 * </pre>
 * {@code client} is the client↔proxy leg, {@code backend} the proxy↔backend leg (C: is
 * whoever is the client there: the proxy itself), {@code relay} the first
 * trace-relay-bytes of the relay. Secrets never get here: see {@link Redactor}.
 *
 * <p>Live from the start when the listener or the client address is traced; when only
 * users are watched, the lines wait in memory (redacted, at most max-lines, and within
 * trace.pending-bytes and the server's trace.pending-total: {@link PendingLines}) until
 * the login names the user, and are written or dropped then.
 */
public final class SessionTrace {
    static final Logger log = LoggerFactory.getLogger("mailproxy.trace");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    private final TraceSwitch owner;
    private final String id;
    private final int maxLines;
    private final int relayBytes;
    private final AtomicInteger lines = new AtomicInteger();
    private final Leg client;
    private final Leg backend;
    /** Lines kept until the user is known; null once live or off. Session thread only. */
    private PendingLines pending;
    private volatile boolean live;
    private volatile boolean off;
    private volatile boolean relaying;

    SessionTrace(TraceSwitch owner, ListenerConfig listener, String id, TraceConfig config, boolean live, String why) {
        this.owner = owner;
        this.id = id;
        this.maxLines = config.maxLines();
        this.relayBytes = listener.traceRelayBytes();
        this.live = live;
        this.pending = live ? null : new PendingLines(owner.pendingBudget(), config.pendingBytes(), config.pendingTotal());
        RelayView.Shared relay = new RelayView.Shared();
        this.client = new Leg(this, "client", true, relayBytes, relay);
        this.backend = new Leg(this, "backend", false, relayBytes, relay);
        event("client", listener.protocol().id() + " session on listener " + listener.name()
                + (why == null ? "" : " (traced: " + why + ")"));
    }

    /** The tap for the client connection (the proxy is the server there). */
    public Connection.Tap client() { return client; }

    /** The tap for a backend connection (the proxy is the client there). */
    public Connection.Tap backend() { return backend; }

    /**
     * The login names its user: a session waiting for it becomes live (its kept lines are
     * written) if the user is watched. Another name may come with a retry.
     */
    public void user(String user) {
        if (live || off || !owner.wantsUser(user)) return;
        PendingLines kept = pending;
        pending = null;
        live = true;
        kept.flush(log::info, (lines, bytes) -> stamp("client -- " + lines + " lines dropped before the login (" + bytes
                + " bytes over trace.pending-bytes or trace.pending-total)"));
    }

    /** The session is over: written as the last line; what a session that never went live kept is given back. */
    public void ended(Object outcome) {
        event("client", "session ended, outcome=" + outcome);
        if (!live) stop();
    }

    /** The login is over: a session still waiting for a watched user is not traced. */
    public boolean loggedIn() {
        if (!live) stop();
        return live;
    }

    /** A backend connection is about to be made. */
    public void backendConnect(String target) {
        backend.reset();
        event("backend", "connecting to " + target);
    }

    /** Something that is not a protocol line (TLS, the login's result). */
    public void event(String leg, String text) {
        emit(leg + " -- " + text);
    }

    /**
     * The relay starts: the legs stop showing lines and show trace-relay-bytes of it.
     *
     * @return whether the connections should keep their taps (false: the trace is over)
     */
    public boolean relayStarting() {
        relaying = true;
        if (relayBytes == 0) {
            event("relay", "relaying; the trace ends here (trace-relay-bytes = 0)");
            stop();
            return false;
        }
        event("relay", "relaying; showing the first " + relayBytes + " bytes each way");
        return !off;
    }

    boolean relaying() { return relaying; }

    boolean off() { return off; }

    private void stop() {
        off = true;
        PendingLines p = pending;
        pending = null;
        if (p != null) p.discard();
    }

    /** Writes (or keeps) one line, with its time, within max-lines. */
    void emit(String text) {
        if (off) return;
        int n = lines.incrementAndGet();
        if (n > maxLines) {
            if (n == maxLines + 1) write(stamp("-- trace truncated at max-lines = " + maxLines));
            return;
        }
        write(stamp(text));
    }

    /** The session's id and the time before a line's text. */
    private String stamp(String text) {
        return id + " " + LocalTime.now().format(TIME) + " " + text;
    }

    private void write(String line) {
        PendingLines p = pending;
        if (!live && p != null) p.add(line);
        else if (live) log.info(line);
    }
}
