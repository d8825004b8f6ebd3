package mailproxy.session;

import java.io.IOException;
import java.time.Duration;
import javax.net.ssl.SSLSocket;
import mailproxy.config.ListenerTls;
import mailproxy.tls.TlsFacts;
import mailproxy.tls.TlsHandshakeException;
import mailproxy.trace.SessionTrace;
import mailproxy.wire.Connection;

/**
 * A TLS handshake on the client connection (implicit TLS before the greeting, or
 * STARTTLS/STLS after the protocol's go-ahead) and what it established, for the protocol's
 * capabilities, the login request and the log line. Made when the handshake begins, so a
 * plaintext session holds none; owned by the session's thread.
 */
final class ClientTls {
    /** Null until the handshake finished: till then the client's TLS layer, not its protocol, reads what we write. */
    private TlsFacts facts;

    /** The facts of the established TLS, or null while the handshake has not finished. */
    TlsFacts facts() { return facts; }

    /**
     * Runs the handshake on {@code client}'s socket and puts the TLS socket in its place.
     *
     * @param timeout limits.timeout, cut to what is left of limits.login-lifetime
     * @param trace the session's trace, or null
     */
    void handshake(Connection client, ListenerTls settings, Duration timeout, SessionMeters meters, SessionTrace trace)
            throws IOException {
        SSLSocket s;
        try {
            s = settings.server().handshake(client.socket(), timeout);
        } catch (TlsHandshakeException e) {
            meters.clientTlsFailed.inc();
            if (trace != null) trace.event("client", "TLS handshake failed");
            throw e;
        }
        meters.clientTlsOk.inc();
        client.replaceSocket(s);
        facts = settings.server().facts(s);
        if (trace != null) trace.event("client", "TLS established: " + facts.protocol());
    }
}
