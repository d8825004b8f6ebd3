package mailproxy.session;

import java.io.IOException;
import java.time.Duration;
import java.util.function.Consumer;
import mailproxy.config.Backend;
import mailproxy.config.Protocol;
import mailproxy.route.BackendDialer;
import mailproxy.route.Target;
import mailproxy.tls.TlsClient;
import mailproxy.tls.TlsHandshakeException;
import mailproxy.trace.SessionTrace;
import mailproxy.wire.Connection;
import mailproxy.wire.ProxyHeaderWriter;
import mailproxy.wire.Watchdog;

/**
 * How one session opens a backend connection, for a login ({@link Login}) and for LMTP
 * ({@link Backends}) alike: TCP within connect-timeout, writes watched by backend-timeout,
 * the PROXY header where the backend wants one (HAProxy's proxy-protocol.txt), TLS first
 * where it is implicit, then the first byte of the greeting within greeting-timeout
 * (docs/ARCHITECTURE.md, "Backend pools").
 */
final class BackendConnector {
    private final LiveSession session;
    private final Watchdog watchdog;

    BackendConnector(LiveSession session, Watchdog watchdog) {
        this.session = session;
        this.watchdog = watchdog;
    }

    /**
     * @param opened gets the connection as soon as it exists, so that a stopping server can
     *     close it while the rest is still under way
     * @throws java.net.SocketTimeoutException the server accepted but sent nothing in time
     */
    Connection open(Target target, Consumer<Connection> opened) throws IOException {
        Protocol p = session.listener().protocol();
        SessionTrace trace = session.trace();
        if (trace != null) trace.backendConnect(target.toString());
        Connection c = BackendDialer.connect(target, session.limits().connectTimeout(), session.limits().backendTimeout());
        opened.accept(c);
        c.watchWrites(watchdog, session.limits().backendTimeout());
        Backend.ProxyProtocol header = target.options().proxyProtocol(p);
        switch (header) {
            case V1 -> c.write(ProxyHeaderWriter.v1(session.clientAddress(), session.localAddress()));
            case V2 -> c.write(ProxyHeaderWriter.v2(session.clientAddress(), session.localAddress()));
            case OFF -> { }
        }
        if (trace != null) {
            if (header != Backend.ProxyProtocol.OFF) trace.event("backend", "PROXY " + header + " header sent");
            c.tap(trace.backend());
        }
        if (target.options().tls(p) == Backend.Tls.IMPLICIT) upgrade(c, target);
        Duration greeting = session.limits().greetingTimeout();
        if (greeting.compareTo(session.limits().backendTimeout()) > 0) greeting = session.limits().backendTimeout();
        c.awaitInput(greeting, session.limits().backendTimeout());
        return c;
    }

    /**
     * TLS on a backend connection: right after connect (implicit) or after the backend's
     * STARTTLS/STLS go-ahead. Anything the backend sent beyond its go-ahead is discarded,
     * for the same reason as on the client side (RFC 3207 §4.2).
     */
    void upgrade(Connection c, Target target) throws IOException {
        TlsClient tlsClient = target.options().tlsClient();
        if (tlsClient == null) throw new IOException("backend " + target + " has TLS but no TLS client settings");
        c.discardBuffered();
        try {
            c.replaceSocket(tlsClient.handshake(c.socket(), session.limits().backendTimeout()));
        } catch (TlsHandshakeException e) {
            session.meters().backendTlsFailed.inc();
            throw e;
        }
        session.meters().backendTlsOk.inc();
        SessionTrace trace = session.trace();
        if (trace != null) trace.event("backend", "TLS established");
    }
}
