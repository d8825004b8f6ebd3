package mailproxy.session;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import mailproxy.config.Backend;
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
import mailproxy.sasl.OAuth;
import mailproxy.tls.TlsHandshakeException;
import mailproxy.trace.SessionTrace;
import mailproxy.wire.Connection;
import mailproxy.wire.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part of every session story after the credentials: route → backend connect →
 * backend login → the backend's answer to the client. The same for every protocol; what
 * is said differs (the {@link BackendLogin}), the order of things does not.
 */
final class Login {
    private static final Logger log = LoggerFactory.getLogger(Login.class);
    /** The guard blocked this address: the protocol's failure (SMTP 421: the server closes), then close. */
    private static final Route.Reject BLOCKED = new Route.Reject("Too many failed logins, try again later", null, "421 4.7.0");

    private final LiveSession session;
    private final Router router;
    private final Guard guard;
    private final BackendConnector connector;
    private int attempts;
    /** This attempt's credentials while they may still fail (password logins only), else null. */
    private Credentials failed;
    /** The client's SASL exchange when this attempt's credentials are a token, else null. */
    private Challenger challenger;
    /** This attempt's credentials (for the audit line and the login counters). */
    private Credentials current;
    private volatile Connection backend;
    /** The pool server of {@link #backend}, counted in its sessions and its user's assignment until released. */
    private final AtomicReference<SessionHold> server = new AtomicReference<>();
    /** The routing key {@link #server}'s hold was taken for (README, "Moving users": a kick looks for it). */
    private volatile String heldKey;
    private volatile String backendName = "-";
    /** Why this attempt's backend was chosen, for the audit line (Pool.Choice), or null before one was. */
    private String route;

    Login(LiveSession session, Router router, Guard guard, BackendConnector connector) {
        this.session = session;
        this.guard = guard;
        this.router = router;
        this.connector = connector;
    }

    String backendName() { return backendName; }

    /** The pool server this session holds a place on now, or null; any thread. */
    LiveSession.Placement placement() {
        SessionHold h = server.get();
        return h == null ? null : new LiveSession.Placement(h.server().pool(), h.server().id(), heldKey);
    }

    Next attempt(Credentials c, LoginRequest.SmtpFacts smtp, BackendLogin protocol, Challenger challenger)
            throws IOException, InterruptedException {
        attempts++;
        current = c;
        this.challenger = OAuth.isToken(c.method()) ? challenger : null;
        session.user(c.user());
        Protocol p = session.listener().protocol();
        LoginRequest request = new LoginRequest(p, c.method(), c.user(), c.secret(), c.salt(), attempts,
                session.clientAddress(), session.localAddress(), session.sessionId(), smtp, session.tls(), session.proxy());
        InetAddress ip = session.clientAddress().getAddress();
        // MX mode's "none" is no password: nothing to guess, nothing to throttle
        boolean password = !c.method().equals("none");
        if (password && !guard.available()) {
            session.meters().guard[SessionMeters.STATE_UNAVAILABLE].inc();
            audit(Audit.NOT_ASKED, SessionMeters.ERROR, Outcome.STATE_UNAVAILABLE, null);
            protocol.unavailable();
            session.outcome(Outcome.STATE_UNAVAILABLE);
            return Next.CLOSE;
        }
        if (password && guard.blocked(ip)) {
            session.meters().guard[SessionMeters.BLOCKED].inc();
            audit(Audit.NOT_ASKED, SessionMeters.FAILED, Outcome.BLOCKED, null);
            rejected(protocol, BLOCKED);
            session.outcome(Outcome.BLOCKED);
            return Next.CLOSE;
        }
        this.failed = password ? c : null;
        long asked = System.nanoTime();
        Route route = router.route(request);
        session.meters().router.observe(SessionMeters.seconds(System.nanoTime() - asked));
        switch (route) {
            case Route.Reject r -> {
                audit(Audit.REJECT, SessionMeters.FAILED, Outcome.REJECTED, r.message());
                throttle();
                if (r.retryAfter() != null) {
                    session.sleep(r.retryAfter());
                    rejected(protocol, r);
                    return Next.RETRY;
                }
                rejected(protocol, r);
                session.outcome(Outcome.REJECTED);
                return Next.CLOSE;
            }
            case Route.Unavailable u -> {
                // a storm's refusals are logged once per busy spell by the router (README, "Reconnect storms")
                if (u.busy()) log.debug("no route for {}: {}", LogSafe.value(request.user()), u.reason());
                else log.warn("no route for {}: {}", LogSafe.value(request.user()), u.reason());
                audit(Audit.UNAVAILABLE, SessionMeters.ERROR, Outcome.ROUTER_UNAVAILABLE, null);
                protocol.unavailable();
                session.outcome(Outcome.ROUTER_UNAVAILABLE);
                return Next.CLOSE;
            }
            case Route.Ok ok -> {
                return backend(ok, request.routingKey(), protocol);
            }
        }
    }

    /**
     * Failover over the pool's candidates (docs/ARCHITECTURE.md, "Backend pools"): a server
     * that refuses the connection, fails TLS or does not greet within greeting-timeout is
     * marked (passive health) and the next one is tried, up to the pool's max-tries. Once
     * a backend has seen the password, its answer is final: no other server is tried.
     */
    private Next backend(Route.Ok ok, String routingKey, BackendLogin protocol) throws IOException, InterruptedException {
        Protocol p = session.listener().protocol();
        route = null;
        Pool.Choice choice = ok.pool().choose(routingKey, p);
        List<PoolServer> candidates = choice.servers();
        if (candidates.isEmpty()) {
            log.warn("pool {} has no server for {} that takes new sessions", ok.pool().name(), p.id());
            audit(Audit.OK, SessionMeters.ERROR, Outcome.BACKEND_UNREACHABLE, null);
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
                log.warn("user {} has sessions open on {}, which failed this login: refused for now rather than sent to a second server",
                        LogSafe.value(routingKey), hold.refused().id());
                route = hold.route();
                break;
            }
            PoolServer server = hold.server();
            if (server != candidate) queue.addFirst(candidate);
            route = hold.route() != null ? hold.route() : tried.isEmpty() ? choice.why() : "failover";
            tried.add(server);
            Target target = server.target(p);
            Connection b;
            heldKey = routingKey;
            this.server.set(hold);
            long started = System.nanoTime();
            try {
                b = connect(target);
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
            return login(b, server, target, ok, protocol, latency);
        }
        audit(Audit.OK, SessionMeters.ERROR, failure, null);
        protocol.unavailable();
        session.outcome(failure);
        return Next.CLOSE;
    }

    /**
     * Before the reply to a failed login: the guard's delay (2 s, 4 s, 8 s … for repeated
     * failures from this address or for this user; a parked virtual thread, no other
     * session waits for it). Interrupted by a stopping server.
     */
    private void throttle() throws InterruptedException {
        Credentials c = failed;
        if (c == null) return;
        Duration d = guard.delayBeforeFailureReply(session.clientAddress().getAddress(), c.user(), c.secret());
        if (!d.isZero()) {
            session.meters().guard[SessionMeters.THROTTLED].inc();
            session.sleep(d);
        }
    }

    private void failed(PoolServer server, Protocol p, Target target, String reason) {
        log.warn("backend {} ({} {}): {}", target, server.pool(), p.id(), reason);
        server.failed(p, reason);
        closeBackend();
    }

    private Next login(Connection b, PoolServer server, Target target, Route.Ok ok, BackendLogin protocol,
                       DistributionDataPoint[] latency) throws IOException, InterruptedException {
        BackendLogin.Result result;
        long started = System.nanoTime();
        try {
            result = protocol.login(b, target, ok, this::upgrade);
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
                SessionHold held = this.server.get();
                if (held != null) held.accepted(); // the user stays on this server (README, "Why a user stays on one server")
                session.user(ok.user());
                if (failed != null) {
                    InetAddress ip = session.clientAddress().getAddress();
                    guard.loginSucceeded(ip, failed.user());
                    // counted under the user the router resolved (auth_http's Auth-User), not the
                    // name typed: aliases of one mailbox share its max-sessions-per-user (and
                    // max-sessions-per-user-ip, per protocol)
                    Guard.Permit place = guard.admitUser(ip, ok.user(), session.listener().protocol());
                    if (!place.ok()) {
                        session.meters().guard[SessionMeters.TOO_MANY_SESSIONS].inc();
                        audit(Audit.OK, SessionMeters.FAILED, Outcome.TOO_MANY_SESSIONS, null);
                        closeBackend();
                        session.client().write(session.replies().tooManySessions());
                        session.outcome(Outcome.TOO_MANY_SESSIONS);
                        return Next.CLOSE;
                    }
                    session.holdUserPermit(place);
                }
                audit(Audit.OK, SessionMeters.SUCCESS, null, null);
                // the password is not needed any more: a relayed session does not keep it
                failed = null;
                current = null;
                // the login is done: limits.login-lifetime bounds no more (the relay has proxy-timeout)
                session.client().noLifetime();
                // handed over before the answer's first byte: from here on no line of ours may
                // reach the client, a bug's included (InternalErrorReply)
                session.relayAfterReturn(b);
                session.client().write(a.replyToClient());
                return Next.RELAY;
            }
            case BackendLogin.Result.Refused r -> {
                audit(Audit.OK, SessionMeters.FAILED, Outcome.BACKEND_REFUSED, null);
                // the backend is closed and the guard's delay over before the token's error
                // challenge, whose answer the client may take limits.timeout to send: no
                // backend connection waits for a client (docs/SECURITY.md, "Backends and pools")
                closeBackend();
                throttle();
                tokenRefused(protocol.errorChallenge());
                session.client().write(r.replyToClient());
                session.outcome(Outcome.BACKEND_REFUSED);
                return new Next.Retry(r.transactionEnded());
            }
            case BackendLogin.Result.Broken br -> {
                audit(Audit.OK, SessionMeters.ERROR, Outcome.BACKEND_FAILED, null);
                if (br.serverFault()) {
                    log.warn("backend {} failed during login: {}", target, br.reason());
                    server.failed(session.listener().protocol(), "broken login: " + br.reason());
                } else {
                    // on what the client sent: its answer to this client, not the server's health
                    log.info("backend {} failed on the client's login: {}", target, br.reason());
                }
                closeBackend();
                protocol.unavailable();
                session.outcome(Outcome.BACKEND_FAILED);
                return Next.CLOSE;
            }
        }
    }

    private void rejected(BackendLogin protocol, Route.Reject r) throws IOException {
        tokenRefused(null);
        protocol.rejected(r);
    }

    /**
     * RFC 7628 §3.2.2: a client who gave a token (OAUTHBEARER, XOAUTH2) learns of its refusal
     * by an error challenge first ({@code backends}, else the proxy's own); whatever it
     * answers, the protocol's failure reply follows.
     */
    private void tokenRefused(String backends) {
        if (challenger != null) OAuth.failureChallenge(challenger, backends != null ? backends : OAuth.errorChallenge());
    }

    /** Connects to a backend the session's way ({@link BackendConnector}); closed with the session. */
    private Connection connect(Target target) throws IOException {
        backendName = target.toString();
        return connector.open(target, c -> backend = c);
    }

    private void upgrade(Connection c, Target target) throws IOException {
        connector.upgrade(c, target);
    }

    /**
     * The audit line of this attempt and its login counter. {@code reason} null for a
     * success; {@code message} is what a router said to the client.
     */
    private void audit(String verdict, int result, Outcome reason, String message) {
        Credentials c = current;
        String mechanism = c == null ? "-" : c.method();
        session.meters().login(mechanism, result);
        Audit.attempt(session, c == null ? null : c.user(), mechanism, verdict,
                verdict.equals(Audit.OK) ? backendName : null, verdict.equals(Audit.OK) ? route : null, result,
                reason == null ? null : reason.toString(), message);
    }

    /**
     * Closes the backend connection (a refused or failed login, or the session's end) and
     * gives its server's session count back; any thread, at most once per connection.
     */
    void closeBackend() {
        Connection c = backend;
        backend = null;
        if (c != null) c.close();
        SessionHold s = server.getAndSet(null);
        if (s != null) s.released();
    }
}
