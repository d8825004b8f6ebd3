package mailproxy.route;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One backend connection's place on its pool server: counted in the server's sessions
 * (least-connections, the metrics) and, in a user-hash pool, in its user's assignment
 * (README, "Why a user stays on one server"). Made by {@link Pool#connected}.
 */
public final class SessionHold {
    private final PoolServer server;
    private final Assignments.Hold assignment;
    private final AtomicBoolean released = new AtomicBoolean();
    private final String route;

    SessionHold(PoolServer server, Assignments.Hold assignment, String route) {
        this.server = server;
        this.assignment = assignment;
        this.route = route;
    }

    /** The server to connect to: the candidate asked for, or where the user's sessions are ({@link Pool#connected}). */
    public PoolServer server() { return server; }

    /** Why the session went to {@link #server()} when it is not the candidate asked for ("elsewhere"), else null. */
    public String route() { return route; }

    /** The backend accepted the login: the user stays assigned to this server past this session. */
    public void accepted() { assignment.accepted(); }

    /** The connection closed; any thread, only the first call counts. */
    public void released() {
        if (!released.compareAndSet(false, true)) return;
        server.released();
        assignment.released();
    }
}
