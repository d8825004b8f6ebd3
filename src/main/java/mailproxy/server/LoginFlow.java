package mailproxy.server;

import mailproxy.wire.LogSafe;
import java.io.IOException;
import java.util.List;
import mailproxy.route.LoginRequest;
import mailproxy.route.PoolServer;
import mailproxy.route.Route;
import mailproxy.route.Target;
import mailproxy.tls.TlsHandshakeException;
import mailproxy.wire.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part of every session story after the credentials: route → backend connect →
 * backend login → relay. Shared by IMAP, POP3 and SMTP; what they say differs, the order
 * of things does not.
 */
public final class LoginFlow {
    private static final Logger log = LoggerFactory.getLogger(LoginFlow.class);

    /** Where the session goes next. */
    public enum Next {
        /**
         * Logged in and the backend's answer sent: the protocol session returns, and the
         * relay runs from the top of the session's thread (a shallow stack is what an idle
         * session holds for hours).
         */
        RELAYED,
        /** Refused; the client may try again on this connection. */
        RETRY,
        /** Refused or failed for good: close. */
        CLOSE
    }

    private LoginFlow() {}

    public static Next attempt(SessionContext ctx, LoginRequest request, BackendLogin protocol)
            throws IOException, InterruptedException {
        ctx.user(request.user());
        // the client's TLS facts travel with every login (auth_http's Auth-SSL headers)
        if (request.tls() == null && ctx.tls() != null) request = request.withTls(ctx.tls());
        Route route = ctx.router().route(request);
        switch (route) {
            case Route.Reject r -> {
                if (r.retryAfter() != null) {
                    Thread.sleep(r.retryAfter());
                    protocol.rejected(r);
                    return Next.RETRY;
                }
                protocol.rejected(r);
                ctx.outcome("rejected");
                return Next.CLOSE;
            }
            case Route.Unavailable u -> {
                log.warn("no route for {}: {}", LogSafe.text(request.user()), u.reason());
                protocol.unavailable();
                ctx.outcome("router-unavailable");
                return Next.CLOSE;
            }
            case Route.Ok ok -> {
                return backend(ctx, request, ok, protocol);
            }
        }
    }

    private static Next backend(SessionContext ctx, LoginRequest request, Route.Ok ok, BackendLogin protocol)
            throws IOException {
        // the first candidate only, as before pools; failover comes with the login rewrite
        List<PoolServer> candidates = ok.pool().candidates(request.routingKey(), request.protocol());
        if (candidates.isEmpty()) {
            log.warn("backend {}: no server to use for {}", ok.pool().name(), request.protocol().id());
            protocol.unavailable();
            ctx.outcome("backend-unreachable");
            return Next.CLOSE;
        }
        Target target = candidates.get(0).target(request.protocol());
        Connection b;
        try {
            b = ctx.connect(target);
        } catch (TlsHandshakeException e) {
            log.warn("backend {}: {}", target, e.getMessage());
            protocol.unavailable();
            ctx.outcome("backend-tls-failed");
            return Next.CLOSE;
        } catch (IOException e) {
            log.warn("backend {} unreachable: {}", target, e.toString());
            protocol.unavailable();
            ctx.outcome("backend-unreachable");
            return Next.CLOSE;
        }
        BackendLogin.Result result;
        try {
            result = protocol.login(b, ok);
        } catch (IOException e) {
            result = new BackendLogin.Result.Broken(e.toString());
        }
        switch (result) {
            case BackendLogin.Result.Accepted a -> {
                ctx.user(ok.user());
                ctx.client().write(a.replyToClient());
                ctx.relayAfterReturn(b);
                return Next.RELAYED;
            }
            case BackendLogin.Result.Refused r -> {
                ctx.dropBackend();
                ctx.client().write(r.replyToClient());
                ctx.outcome("backend-refused");
                return Next.RETRY;
            }
            case BackendLogin.Result.Broken br -> {
                log.warn("backend {} failed during login: {}", target, br.reason());
                ctx.dropBackend();
                protocol.unavailable();
                ctx.outcome("backend-failed");
                return Next.CLOSE;
            }
        }
    }
}
