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
    /** Counts the split once the backend accepts the login (a login refused or broken is none); or null. */
    private final Runnable split;
    /** The server the user's open sessions are on, which failed this login: no place taken; or null. */
    private final PoolServer refusedFor;

    SessionHold(PoolServer server, Assignments.Hold assignment, String route, Runnable split) {
        this(server, assignment, route, split, null);
    }

    private SessionHold(PoolServer server, Assignments.Hold assignment, String route, Runnable split, PoolServer refusedFor) {
        this.server = server;
        this.assignment = assignment;
        this.route = route;
        this.split = split;
        this.refusedFor = refusedFor;
    }

    /** No place: the user's sessions are open on {@code there}, which this login tried and which failed. */
    static SessionHold refused(PoolServer there) {
        SessionHold h = new SessionHold(null, Assignments.NONE, "refused", null, there);
        h.released.set(true);
        return h;
    }

    /**
     * The server the user's open sessions are on when it failed this login, or null: the
     * login must not go to another server, or the user would be on two (README, "Why a user
     * stays on one server"); it gets the protocol's temporary failure instead.
     */
    public PoolServer refused() { return refusedFor; }

    /** The server to connect to: the candidate asked for, or where the user's sessions are ({@link Pool#connected}); null when {@link #refused()}. */
    public PoolServer server() { return server; }

    /** Why the session went to {@link #server()} when it is not the candidate asked for ("elsewhere"), else null. */
    public String route() { return route; }

    /** The backend accepted the login: the user stays assigned to this server past this session. */
    public void accepted() {
        assignment.accepted();
        if (split != null) split.run();
    }

    /** The connection closed; any thread, only the first call counts. */
    public void released() {
        if (!released.compareAndSet(false, true)) return;
        server.released();
        assignment.released();
    }
}
