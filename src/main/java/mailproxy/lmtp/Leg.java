package mailproxy.lmtp;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import mailproxy.session.Backends;
import mailproxy.wire.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One backend's part of a transaction (RFC 2033 §4.2: the proxy is the backend's LMTP
 * client): its connection after LHLO and MAIL, and the client's recipients it accepted,
 * as indexes into the transaction's accepted list, in RCPT order.
 */
final class Leg {
    private static final Logger log = LoggerFactory.getLogger(Leg.class);

    final Backends.Opened backend;
    /** Indexes into {@link Transaction#accepted()} of the recipients this backend took. */
    final List<Integer> recipients = new ArrayList<>();
    /** The backend refused the MAIL: the answer to every RCPT routed here. Null when it took it. */
    Reply mailRefused;
    /** Why the connection broke, or null while it works. */
    String broken;

    Leg(Backends.Opened backend) {
        this.backend = backend;
    }

    Connection connection() { return backend.connection(); }

    String name() { return backend.target().toString(); }

    boolean live() { return broken == null; }

    /** The connection failed: logged and counted against the server, closed. */
    void broke(String reason) {
        if (broken != null) return;
        broken = reason;
        backend.failed(reason);
        backend.close();
    }

    /**
     * The connection failed on what the client sent (a recipient address, the message):
     * closed and logged, but not counted against the server. A backend that hangs up on one
     * sender's bytes has answered that delivery; a sender must not be able to take servers
     * out of their pool (docs/SECURITY.md, "Backends and pools").
     */
    void brokeOnClientInput(String reason) {
        if (broken != null) return;
        broken = reason;
        log.info("backend {} failed on what the client sent: {}", name(), reason);
        backend.close();
    }

    /**
     * Cuts the connection off mid-message without blaming the server (the message was too
     * big): without the final "." the server delivers nothing.
     */
    void abort(String reason) {
        if (broken != null) return;
        broken = reason;
        backend.close();
    }

    /** Ends this backend's session politely (QUIT, not waiting for the 221), then closes. */
    void close() {
        Connection c = backend.connection();
        if (broken == null && c != null) {
            try {
                c.writeLine("QUIT");
            } catch (IOException e) {
                // closing anyway
            }
        }
        backend.close();
    }
}
