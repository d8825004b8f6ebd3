package mailproxy.route;

/**
 * Decides, per login, whether it may proceed and which backend holds the account.
 * Implementations are shared by all sessions and must be safe for concurrent use.
 */
public interface Router extends AutoCloseable {
    /** Never throws for an unreachable auth source: that is {@link Route.Unavailable}. */
    Route route(LoginRequest request) throws InterruptedException;

    /** Frees what the router holds (auth_http's keep-alive connections); the server calls it once on stop. */
    @Override
    default void close() {}
}
