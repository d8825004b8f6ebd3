package mailproxy.route;

/**
 * Decides, per login, whether it may proceed and which backend holds the account.
 * Implementations are shared by all sessions and must be safe for concurrent use.
 */
public interface Router extends AutoCloseable {
    /** Never throws for an unreachable auth source: that is {@link Route.Unavailable}. */
    Route route(LoginRequest request) throws InterruptedException;

    /**
     * The bound on this router's calls at once (auth_http), or null for a router that does no
     * I/O (the static map answers from memory: a bound would only add a lock per login).
     */
    default CallLimiter limiter() { return null; }

    /** Frees what the router holds (auth_http's keep-alive connections); the server calls it once on stop. */
    @Override
    default void close() {}
}
