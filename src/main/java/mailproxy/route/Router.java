package mailproxy.route;

/**
 * Decides, per login, whether it may proceed and which backend holds the account.
 * Implementations are shared by all sessions and must be safe for concurrent use.
 */
public interface Router {
    /** Never throws for an unreachable auth source: that is {@link Route.Unavailable}. */
    Route route(LoginRequest request) throws InterruptedException;
}
