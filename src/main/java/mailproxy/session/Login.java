package mailproxy.session;

import java.io.IOException;
import mailproxy.config.Backend;
import mailproxy.config.Protocol;
import mailproxy.route.BackendDialer;
import mailproxy.route.LoginRequest;
import mailproxy.route.Route;
import mailproxy.route.Router;
import mailproxy.route.Target;
import mailproxy.sasl.Credentials;
import mailproxy.tls.TlsClient;
import mailproxy.tls.TlsHandshakeException;
import mailproxy.wire.Connection;
import mailproxy.wire.LogSafe;
import mailproxy.wire.Watchdog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part of every session story after the credentials: route → backend connect →
 * backend login → the backend's answer to the client. The same for every protocol; what
 * is said differs (the {@link BackendLogin}), the order of things does not.
 */
final class Login {
    private static final Logger log = LoggerFactory.getLogger(Login.class);

    private final LiveSession session;
    private final Router router;
    private final Watchdog watchdog;
    private int attempts;
    private volatile Connection backend;
    private String backendName = "-";

    Login(LiveSession session, Router router, Watchdog watchdog) {
        this.session = session;
        this.router = router;
        this.watchdog = watchdog;
    }

    String backendName() { return backendName; }

    Next attempt(Credentials c, LoginRequest.SmtpFacts smtp, BackendLogin protocol)
            throws IOException, InterruptedException {
        attempts++;
        session.user(c.user());
        Protocol p = session.listener().protocol();
        LoginRequest request = new LoginRequest(p, c.method(), c.user(), c.secret(), c.salt(), attempts,
                session.clientAddress(), session.localAddress(), session.sessionId(), smtp, session.tls(), session.proxy());
        Route route = router.route(request);
        switch (route) {
            case Route.Reject r -> {
                if (r.retryAfter() != null) {
                    session.sleep(r.retryAfter());
                    protocol.rejected(r);
                    return Next.RETRY;
                }
                protocol.rejected(r);
                session.outcome(Outcome.REJECTED);
                return Next.CLOSE;
            }
            case Route.Unavailable u -> {
                log.warn("no route for {}: {}", LogSafe.text(request.user()), u.reason());
                protocol.unavailable();
                session.outcome(Outcome.ROUTER_UNAVAILABLE);
                return Next.CLOSE;
            }
            case Route.Ok ok -> {
                return backend(ok, ok.target(), protocol);
            }
        }
    }

    private Next backend(Route.Ok ok, Target target, BackendLogin protocol) throws IOException {
        Connection b;
        try {
            b = connect(target);
        } catch (TlsHandshakeException e) {
            log.warn("backend {}: {}", target, e.getMessage());
            protocol.unavailable();
            session.outcome(Outcome.BACKEND_TLS_FAILED);
            return Next.CLOSE;
        } catch (IOException e) {
            log.warn("backend {} unreachable: {}", target, e.toString());
            protocol.unavailable();
            session.outcome(Outcome.BACKEND_UNREACHABLE);
            return Next.CLOSE;
        }
        BackendLogin.Result result;
        try {
            result = protocol.login(b, target, ok, this::upgrade);
        } catch (IOException e) {
            result = new BackendLogin.Result.Broken(e.toString());
        }
        switch (result) {
            case BackendLogin.Result.Accepted a -> {
                session.user(ok.user());
                session.client().write(a.replyToClient());
                session.relayAfterReturn(b);
                return Next.RELAY;
            }
            case BackendLogin.Result.Refused r -> {
                closeBackend();
                session.client().write(r.replyToClient());
                session.outcome(Outcome.BACKEND_REFUSED);
                return new Next.Retry(r.transactionEnded());
            }
            case BackendLogin.Result.Broken br -> {
                log.warn("backend {} failed during login: {}", target, br.reason());
                closeBackend();
                protocol.unavailable();
                session.outcome(Outcome.BACKEND_FAILED);
                return Next.CLOSE;
            }
        }
    }

    /** Connects to a backend, with TLS first where it is implicit; closed with the session. */
    private Connection connect(Target target) throws IOException {
        backendName = target.toString();
        Connection c = BackendDialer.connect(target, session.limits().connectTimeout(), session.limits().backendTimeout());
        backend = c;
        c.watchWrites(watchdog, session.limits().backendTimeout());
        if (target.options().tls(session.listener().protocol()) == Backend.Tls.IMPLICIT) upgrade(c, target);
        return c;
    }

    /**
     * TLS on a backend connection: right after connect (implicit) or after the backend's
     * STARTTLS/STLS go-ahead. Anything the backend sent beyond its go-ahead is discarded,
     * for the same reason as on the client side (RFC 3207 §4.2).
     */
    private void upgrade(Connection c, Target target) throws IOException {
        TlsClient tlsClient = target.options().tlsClient();
        if (tlsClient == null) throw new IOException("backend " + target + " has TLS but no TLS client settings");
        c.discardBuffered();
        c.replaceSocket(tlsClient.handshake(c.socket(), session.limits().backendTimeout()));
    }

    /** Closes the backend connection (a refused login, or the session's end); any thread. */
    void closeBackend() {
        Connection c = backend;
        backend = null;
        if (c != null) c.close();
    }
}
