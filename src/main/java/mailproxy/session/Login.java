package mailproxy.session;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import mailproxy.config.Protocol;
import mailproxy.guard.Guard;
import mailproxy.route.LoginRequest;
import mailproxy.route.Pool;
import mailproxy.route.PoolServer;
import mailproxy.route.SessionHold;
import mailproxy.route.Route;
import mailproxy.route.Router;
import mailproxy.route.Target;
import mailproxy.sasl.Challenger;
import mailproxy.sasl.Credentials;
import mailproxy.tls.TlsHandshakeException;
import mailproxy.trace.SessionTrace;
import mailproxy.wire.Connection;
import mailproxy.wire.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part of every session story after the credentials: guard → route → the pool's
 * candidates → backend connect → backend login → the backend's answer to the client. The
 * same for every protocol; what is said differs (the {@link BackendLogin}), the order of
 * things does not. Each attempt's bookkeeping (audit, the guard's delay and counts, a
 * token's error challenge) is its {@link LoginAttempt}; the backend connection and its
 * place in the pool, which outlive the attempt, are the {@link HeldBackend}.
 */
final class Login {
    private static final Logger log = LoggerFactory.getLogger(Login.class);
    /** The guard blocked this address: the protocol's failure (SMTP 421: the server closes), then close. */
    private static final Route.Reject BLOCKED = new Route.Reject("Too many failed logins, try again later", null, "421 4.7.0");

    private final LiveSession session;
    private final Router router;
    private final Guard guard;
    private final HeldBackend backend;
    private int attempts;

    Login(LiveSession session, Router router, Guard guard, BackendConnector connector) {
        this.session = session;
        this.guard = guard;
        this.router = router;
        this.backend = new HeldBackend(connector);
    }

    String backendName() { return backend.name(); }

    /** The pool server this session holds a place on now, or null; any thread. */
    LiveSession.Placement placement() { return backend.placement(); }

    /**
     * Closes the backend connection (a refused or failed login, or the session's end) and
     * gives its server's session count back; any thread, at most once per connection.
     */
    void closeBackend() { backend.close(); }

    Next attempt(Credentials c, LoginRequest.SmtpFacts smtp, BackendLogin protocol, Challenger challenger)
            throws IOException, InterruptedException {
        attempts++;
        LoginAttempt attempt = new LoginAttempt(session, guard, backend, c, challenger);
        session.user(c.user());
        Protocol p = session.listener().protocol();
        LoginRequest request = new LoginRequest(p, c.method(), c.user(), c.secret(), c.salt(), attempts,
                session.clientAddress(), session.localAddress(), session.sessionId(), smtp, session.tls(), session.proxy());
        if (attempt.guessable() && !guard.available()) {
            session.meters().guard[SessionMeters.STATE_UNAVAILABLE].inc();
            attempt.audit(Audit.NOT_ASKED, SessionMeters.ERROR, Outcome.STATE_UNAVAILABLE, null);
            protocol.unavailable();
            session.outcome(Outcome.STATE_UNAVAILABLE);
            return Next.CLOSE;
        }
        if (attempt.guessable() && guard.blocked(session.clientAddress().getAddress())) {
            session.meters().guard[SessionMeters.BLOCKED].inc();
            attempt.audit(Audit.NOT_ASKED, SessionMeters.FAILED, Outcome.BLOCKED, null);
            rejected(attempt, protocol, BLOCKED);
            session.outcome(Outcome.BLOCKED);
            return Next.CLOSE;
        }
        attempt.countFailures();
        long asked = System.nanoTime();
        Route route = router.route(request);
        session.meters().router.observe(SessionMeters.seconds(System.nanoTime() - asked));
        switch (route) {
            case Route.Reject r -> {
                attempt.audit(Audit.REJECT, SessionMeters.FAILED, Outcome.REJECTED, r.message());
                attempt.throttle();
                if (r.retryAfter() != null) {
                    session.sleep(r.retryAfter());
                    rejected(attempt, protocol, r);
                    return Next.RETRY;
                }
                rejected(attempt, protocol, r);
                session.outcome(Outcome.REJECTED);
                return Next.CLOSE;
            }
            case Route.Unavailable u -> {
                // a storm's refusals are logged once per busy spell by the router (README, "Reconnect storms")
                if (u.busy()) log.debug("no route for {}: {}", LogSafe.value(request.user()), u.reason());
                else log.warn("no route for {}: {}", LogSafe.value(request.user()), u.reason());
                attempt.audit(Audit.UNAVAILABLE, SessionMeters.ERROR, Outcome.ROUTER_UNAVAILABLE, null);
                protocol.unavailable();
                session.outcome(Outcome.ROUTER_UNAVAILABLE);
                return Next.CLOSE;
            }
            case Route.Ok ok -> {
                return backend(attempt, ok, request.routingKey(), protocol);
            }
        }
    }

    /**
     * Failover over the pool's candidates (docs/ARCHITECTURE.md, "Backend pools"): a server
     * that refuses the connection, fails TLS or does not greet within greeting-timeout is
     * marked (passive health) and the next one is tried, up to the pool's max-tries. Once
     * a backend has seen the password, its answer is final: no other server is tried.
     */
    private Next backend(LoginAttempt attempt, Route.Ok ok, String routingKey, BackendLogin protocol)
            throws IOException, InterruptedException {
        Protocol p = session.listener().protocol();
        Pool.Choice choice = ok.pool().choose(routingKey, p);
        List<PoolServer> candidates = choice.servers();
        if (candidates.isEmpty()) {
            log.warn("pool {} has no server for {} that takes new sessions", ok.pool().name(), p.id());
            attempt.audit(Audit.OK, SessionMeters.ERROR, Outcome.BACKEND_UNREACHABLE, null);
            protocol.unavailable();
            session.outcome(Outcome.BACKEND_UNREACHABLE);
            return Next.CLOSE;
        }
        Outcome failure = Outcome.BACKEND_UNREACHABLE;
        DistributionDataPoint[] latency = session.meters().pool(ok.pool().name());
        Set<PoolServer> tried = new HashSet<>();
        Deque<PoolServer> queue = new ArrayDeque<>(candidates);
        while (!queue.isEmpty()) {
            PoolServer candidate = queue.poll();
            if (tried.contains(candidate)) continue;
            // the hold may be on another server: where the user's sessions are (Pool.connected);
            // if that one refuses, the candidate is next (each server is tried once at most)
            SessionHold hold = ok.pool().connected(routingKey, candidate, p, tried);
            if (hold.refused() != null) {
                log.warn("user {} has sessions open on {}, {}: refused for now rather than sent to a second server",
                        LogSafe.value(routingKey), hold.refused(), hold.refusedWhy());
                attempt.route(hold.route());
                break;
            }
            PoolServer server = hold.server();
            if (server != candidate) queue.addFirst(candidate);
            attempt.route(hold.route() != null ? hold.route() : tried.isEmpty() ? choice.why() : "failover");
            tried.add(server);
            Target target = server.target(p);
            Connection b;
            backend.hold(hold, routingKey);
            if (ok.pool().leftAtReload(server)) {
                // routed by the pool in force before a reload that removed this server, and
                // placed after the reload's kick pass (server.Kicks): a session there would
                // never be kicked; refused for now, as a user whose sessions are on a removed
                // server is (README, "Why a user stays on one server")
                backend.close();
                log.warn("user {} was routed to {} before a reload removed it from pool {}: refused for now",
                        LogSafe.value(routingKey), server.id(), ok.pool().name());
                attempt.route("refused");
                break;
            }
            long started = System.nanoTime();
            try {
                b = backend.open(target);
                latency[0].observe(SessionMeters.seconds(System.nanoTime() - started));
            } catch (TlsHandshakeException e) {
                failed(server, p, target, "TLS handshake failed: " + e.getMessage());
                failure = Outcome.BACKEND_TLS_FAILED;
                continue;
            } catch (SocketTimeoutException e) {
                failed(server, p, target, "no greeting in time");
                continue;
            } catch (IOException e) {
                failed(server, p, target, e.toString());
                continue;
            }
            return login(attempt, b, server, target, ok, protocol, latency);
        }
        attempt.audit(Audit.OK, SessionMeters.ERROR, failure, null);
        protocol.unavailable();
        session.outcome(failure);
        return Next.CLOSE;
    }

    private void failed(PoolServer server, Protocol p, Target target, String reason) {
        log.warn("backend {} ({} {}): {}", target, server.pool(), p.id(), reason);
        server.failed(p, reason);
        backend.close();
    }

    /** The backend login, and its answer to the client. */
    private Next login(LoginAttempt attempt, Connection b, PoolServer server, Target target, Route.Ok ok,
                       BackendLogin protocol, DistributionDataPoint[] latency) throws IOException, InterruptedException {
        BackendLogin.Result result;
        long started = System.nanoTime();
        try {
            result = protocol.login(b, target, ok, backend::upgrade);
        } catch (IOException e) {
            result = new BackendLogin.Result.Broken(e.toString());
        }
        latency[1].observe(SessionMeters.seconds(System.nanoTime() - started));
        SessionTrace trace = session.trace();
        if (trace != null) trace.event("backend", "login " + switch (result) {
            case BackendLogin.Result.Accepted a -> "accepted";
            case BackendLogin.Result.Refused r -> "refused";
            case BackendLogin.Result.Broken br -> "broken: " + br.reason();
        });
        switch (result) {
            case BackendLogin.Result.Accepted a -> {
                server.succeeded(session.listener().protocol());
                backend.accepted();
                session.user(ok.user());
                if (!attempt.succeeded(ok.user())) {
                    attempt.audit(Audit.OK, SessionMeters.FAILED, Outcome.TOO_MANY_SESSIONS, null);
                    backend.close();
                    session.client().write(session.replies().tooManySessions());
                    session.outcome(Outcome.TOO_MANY_SESSIONS);
                    return Next.CLOSE;
                }
                attempt.audit(Audit.OK, SessionMeters.SUCCESS, null, null);
                // the login is done: limits.login-lifetime bounds no more (the relay has proxy-timeout)
                session.client().noLifetime();
                // handed over before the answer's first byte: from here on no line of ours may
                // reach the client, a bug's included (InternalErrorReply)
                session.relayAfterReturn(b);
                session.client().write(a.replyToClient());
                return Next.RELAY;
            }
            case BackendLogin.Result.Refused r -> {
                attempt.audit(Audit.OK, SessionMeters.FAILED, Outcome.BACKEND_REFUSED, null);
                // the backend is closed and the guard's delay over before the token's error
                // challenge, whose answer the client may take limits.timeout to send: no
                // backend connection waits for a client (docs/SECURITY.md, "Backends and pools")
                backend.close();
                attempt.throttle();
                attempt.tokenRefused(protocol.errorChallenge());
                session.client().write(r.replyToClient());
                session.outcome(Outcome.BACKEND_REFUSED);
                return new Next.Retry(r.transactionEnded());
            }
            case BackendLogin.Result.Broken br -> {
                attempt.audit(Audit.OK, SessionMeters.ERROR, Outcome.BACKEND_FAILED, null);
                if (br.serverFault()) {
                    log.warn("backend {} failed during login: {}", target, br.reason());
                    server.failed(session.listener().protocol(), "broken login: " + br.reason());
                } else {
                    // on what the client sent: its answer to this client, not the server's health
                    log.info("backend {} failed on the client's login: {}", target, br.reason());
                }
                backend.close();
                protocol.unavailable();
                session.outcome(Outcome.BACKEND_FAILED);
                return Next.CLOSE;
            }
        }
    }

    private void rejected(LoginAttempt attempt, BackendLogin protocol, Route.Reject r) throws IOException {
        attempt.tokenRefused(null);
        protocol.rejected(r);
    }
}
