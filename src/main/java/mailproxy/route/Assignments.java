package mailproxy.route;

import java.time.Duration;

/**
 * Which server of a user-hash pool each user is on (README, "Why a user stays on one
 * server"): while a user has a session open on a server, or has had one within
 * affinity-ttl, new sessions of that user go there rather than where the hash says now.
 * Keys are routing keys (the lower-cased user the router resolved), values server ids
 * ({@link PoolServer#id()}). This process's table is {@link LocalAssignments}; a store
 * shared by several proxies (Redis) implements the same contract.
 */
interface Assignments {

    /** Why an assignment was given up: the metric's reason label. */
    enum Forgotten {
        /** Its server went down (checks or passive marking), or failed the user's login attempt. */
        DOWN,
        /** Its server is draining, or left the pool on a reload. */
        DRAIN,
        /** The operator moved the user (admin POST /move). */
        MOVE,
        /** The user had no session for affinity-ttl. */
        TTL,
        /**
         * A reload added a server the hash now picks for the user (README, "Moving users"):
         * {@link #forget} with this reason forgets only an assignment with no session open,
         * checked in the same step, so that no session is left behind on the old server.
         */
        REBALANCE;

        String label() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    /** The id of the server {@code user} is assigned to, or null (an assignment idle for ttl is forgotten here). */
    String assigned(String user);

    /** Forgets {@code user}'s assignment if it is still to {@code server}. */
    void forget(String user, String server, Forgotten why);

    /**
     * A session of {@code user} starts on {@code server} (at connect, so that a login under
     * way counts). The answer's {@link Hold#released()} is called exactly once when it ends.
     * When the user has sessions open on another server (through any proxy sharing the
     * store), nothing is taken and the answer's {@link Hold#elsewhere()} names that server:
     * two first logins racing on two proxies end on one server (README, "Several proxies").
     */
    Hold open(String user, String server);

    /**
     * A session of {@code user} opened on {@code here} while the user had sessions open on
     * {@code there} (a split: what affinity exists to prevent; should stay 0). Counted, and
     * logged once per user.
     */
    void split(String user, String here, String there);

    /** Splits counted since start. */
    long splits();

    /** Assignments held now. */
    int size();

    /** Assignments forgotten since start for this reason. */
    long forgotten(Forgotten why);

    /** A reload's settings; assignments held stay. */
    void settings(Duration ttl, int maxUsers);

    /** One user's assignment as the admin's GET /users lists it: sessions open now (0: idle). */
    record Assigned(String user, String server, int sessions) {}

    /** The users assigned to {@code server} (null: to any server), at most {@code limit}, in no set order. */
    java.util.List<Assigned> users(String server, int limit);

    /**
     * The operator moves {@code user} (admin POST /move): from now on new sessions go to
     * {@code server} (null: the assignment is forgotten and the hash decides). Sessions
     * still open on the old server are not closed here: every {@link MoveListener} of every
     * proxy sharing this store is told, and closes its own. Returns the server the user was
     * assigned to before, or null.
     */
    String move(String user, String server);

    /** Registers a listener told of every move, in this proxy and (a shared store) in the others. */
    void onMove(MoveListener listener);

    /** Told that a user was moved; on any thread, must not block. */
    interface MoveListener {
        void moved(String user, String from, String to);
    }

    /** One session's part in its user's assignment. */
    interface Hold {
        /** The backend accepted the login: the assignment outlives the session by ttl. */
        void accepted();

        /** The session ended; at most once. */
        void released();

        /** The server the user has sessions open on, when it is not the one asked for (nothing was taken); else null. */
        default String elsewhere() { return null; }
    }

    /** The answer of {@link #open} when the user's open sessions are on {@code server}: holds nothing. */
    record Elsewhere(String server) implements Hold {
        @Override public void accepted() {}
        @Override public void released() {}
        @Override public String elsewhere() { return server; }
    }

    /** For a session that holds no assignment (the table was full of users with open sessions). */
    Hold NONE = new Hold() {
        @Override public void accepted() {}
        @Override public void released() {}
    };
}
