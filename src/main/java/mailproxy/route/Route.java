package mailproxy.route;

import java.time.Duration;

/** A router's answer for one login. */
public sealed interface Route {

    /**
     * Log in to a server of {@code pool} as {@code user} with {@code password}: the login
     * tries {@code pool.candidates(request.routingKey(), protocol)} in order.
     */
    record Ok(Pool pool, String user, String password) implements Route {
        @Override
        public String toString() {
            return "Ok[" + pool.name() + " user=" + user + "]";
        }
    }

    /**
     * Refused. {@code message} is shown to the client (as the protocol's failure reply);
     * with {@code retryAfter} the client may try again on this connection after that wait,
     * without it the connection is closed. {@code smtpCode} overrides the SMTP reply code.
     */
    record Reject(String message, Duration retryAfter, String smtpCode) implements Route {}

    /**
     * The router could not decide (auth server down, no backend): a temporary failure, then
     * close. {@code busy}: refused by the router's own bound on requests at once, which logs
     * once per busy spell itself (README, "Reconnect storms").
     */
    record Unavailable(String reason, boolean busy) implements Route {
        public Unavailable(String reason) {
            this(reason, false);
        }
    }
}
