package mailproxy.server;

import java.io.IOException;
import mailproxy.route.Route;
import mailproxy.wire.Connection;

/** The protocol-specific half of a login: what to say to the backend and to the client. */
public interface BackendLogin {

    /** How the backend took the login. Replies are whole protocol text, CRLF included. */
    sealed interface Result {
        /** Logged in: send {@code replyToClient}, then relay. */
        record Accepted(String replyToClient) implements Result {}

        /** The backend said no (wrong password): pass its answer on; the client may retry. */
        record Refused(String replyToClient) implements Result {}

        /** The backend misbehaved (no greeting, XCLIENT refused, garbage): temporary failure. */
        record Broken(String reason) implements Result {}
    }

    /** Greeting, optional client-address forwarding, then the login. */
    Result login(Connection backend, Route.Ok route) throws IOException;

    /** The router refused: the protocol's failure reply carrying {@code message}. */
    void rejected(Route.Reject reject) throws IOException;

    /** Router or backend unavailable: the protocol's temporary failure reply (then close). */
    void unavailable() throws IOException;
}
