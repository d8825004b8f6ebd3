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

    SessionHold(PoolServer server, Assignments.Hold assignment) {
        this.server = server;
        this.assignment = assignment;
    }

    public PoolServer server() { return server; }

    /** The backend accepted the login: the user stays assigned to this server past this session. */
    public void accepted() { assignment.accepted(); }

    /** The connection closed; any thread, only the first call counts. */
    public void released() {
        if (!released.compareAndSet(false, true)) return;
        server.released();
        assignment.released();
    }
}
