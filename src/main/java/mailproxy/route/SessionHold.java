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
    /** The id of the server the user's open sessions are on, which failed this login or left the pool: no place taken; or null. */
    private final String refusedFor;
    /** Why {@link #refusedFor} cannot take this login, for the log. */
    private final String refusedWhy;

    SessionHold(PoolServer server, Assignments.Hold assignment, String route, Runnable split) {
        this(server, assignment, route, split, null, null);
    }

    private SessionHold(PoolServer server, Assignments.Hold assignment, String route, Runnable split, String refusedFor,
                        String refusedWhy) {
        this.server = server;
        this.assignment = assignment;
        this.route = route;
        this.split = split;
        this.refusedFor = refusedFor;
        this.refusedWhy = refusedWhy;
    }

    /**
     * No place: the user's sessions are open on the server with id {@code there}, which
     * this login tried and which failed, or which a reload took out of the pool ({@code why}
     * says which, for the log).
     */
    static SessionHold refused(String there, String why) {
        SessionHold h = new SessionHold(null, Assignments.NONE, "refused", null, there, why);
        h.released.set(true);
        return h;
    }

    /**
     * The id of the server the user's open sessions are on when it cannot take this login
     * (it failed it, or a reload removed it), or null: the login must not go to another
     * server, or the user would be on two (README, "Why a user stays on one server"); it
     * gets the protocol's temporary failure instead.
     */
    public String refused() { return refusedFor; }

    /** Why {@link #refused()} cannot take this login ("which failed this login", ...), or null. */
    public String refusedWhy() { return refusedWhy; }

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
