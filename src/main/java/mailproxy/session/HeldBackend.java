package mailproxy.session;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicReference;
import mailproxy.route.SessionHold;
import mailproxy.route.Target;
import mailproxy.wire.Connection;

/**
 * The backend connection a session's login opened, and its place in the pool
 * (route.SessionHold: the server's session count and the user's assignment,
 * docs/ARCHITECTURE.md, "Backend pools"): opened by {@link Login} on the session's
 * thread, looked at and closed from any thread (a kick, the admin, a stopping server).
 * The place is given back exactly once, however many of them close it.
 */
final class HeldBackend {
    private final BackendConnector connector;
    private volatile Connection connection;
    /** The pool server of {@link #connection}, counted in its sessions and its user's assignment until released. */
    private final AtomicReference<SessionHold> hold = new AtomicReference<>();
    /** The routing key {@link #hold} was taken for (README, "Moving users": a kick looks for it). */
    private volatile String key;
    private volatile String name = "-";

    HeldBackend(BackendConnector connector) {
        this.connector = connector;
    }

    /** The backend's address for the log line and the admin, "-" before one was tried. */
    String name() { return name; }

    /** The pool server this session holds a place on now, or null; any thread. */
    LiveSession.Placement placement() {
        SessionHold h = hold.get();
        return h == null ? null : new LiveSession.Placement(h.server().pool(), h.server().id(), key);
    }

    /** Takes {@code h}, the place a connection to its server will have, for {@code routingKey}. */
    void hold(SessionHold h, String routingKey) {
        key = routingKey;
        hold.set(h);
    }

    /** The backend took the login: the user stays on this server (README, "Why a user stays on one server"). */
    void accepted() {
        SessionHold h = hold.get();
        if (h != null) h.accepted();
    }

    /** Connects to {@code target} the session's way ({@link BackendConnector}); closed with the session. */
    Connection open(Target target) throws IOException {
        name = target.toString();
        return connector.open(target, c -> connection = c);
    }

    /** TLS on the backend connection after its STARTTLS go-ahead. */
    void upgrade(Connection c, Target target) throws IOException {
        connector.upgrade(c, target);
    }

    /**
     * Closes the backend connection (a refused or failed login, or the session's end) and
     * gives its server's session count back; any thread, at most once per connection.
     */
    void close() {
        Connection c = connection;
        connection = null;
        if (c != null) c.close();
        SessionHold s = hold.getAndSet(null);
        if (s != null) s.released();
    }
}
