package mailproxy.session;

import java.net.InetAddress;
import java.time.Duration;
import mailproxy.guard.Guard;
import mailproxy.sasl.Challenger;
import mailproxy.sasl.Credentials;
import mailproxy.sasl.OAuth;

/**
 * The bookkeeping of one login attempt ({@link Login} tells its story): its audit line and
 * login counter (README, "Audit log"), the guard's delay before a failure reply and its
 * count of failures and successes, and RFC 7628's error challenge for a refused token.
 * Made per attempt and dropped when it returns: the credentials, password included, are
 * not kept by a session that goes on to relay.
 */
final class LoginAttempt {
    private final LiveSession session;
    private final Guard guard;
    private final HeldBackend backend;
    /** This attempt's credentials (for the audit line and the login counters). */
    private final Credentials credentials;
    /** The client's SASL exchange when the credentials are a token, else null. */
    private final Challenger tokenExchange;
    /** Whether the credentials can be guessed (a password, a token); MX mode's "none" cannot. */
    private final boolean guessable;
    /** Past the guard's checks: a failure from now on counts toward its delay and blocks. */
    private boolean counted;
    /** Why this attempt's backend was chosen, for the audit line (Pool.Choice), or null before one was. */
    private String route;

    LoginAttempt(LiveSession session, Guard guard, HeldBackend backend, Credentials credentials, Challenger challenger) {
        this.session = session;
        this.guard = guard;
        this.backend = backend;
        this.credentials = credentials;
        this.tokenExchange = OAuth.isToken(credentials.method()) ? challenger : null;
        // MX mode's "none" is no password: nothing to guess, nothing to throttle
        this.guessable = !credentials.method().equals("none");
    }

    Credentials credentials() { return credentials; }

    /** Whether the guard's checks (available, blocked) apply: the credentials can be guessed. */
    boolean guessable() { return guessable; }

    /** The guard's checks passed: from now on a failure counts (delay, block) and a success clears. */
    void countFailures() { counted = guessable; }

    /** Why the backend was chosen (Pool.Choice, "failover"), for the audit line. */
    void route(String why) { route = why; }

    /**
     * The audit line of this attempt and its login counter. {@code reason} null for a
     * success; {@code message} is what a router said to the client.
     */
    void audit(String verdict, int result, Outcome reason, String message) {
        String mechanism = credentials.method();
        session.meters().login(mechanism, result);
        boolean routed = verdict.equals(Audit.OK);
        Audit.attempt(session, credentials.user(), mechanism, verdict, routed ? backend.name() : null, routed ? route : null,
                result, reason == null ? null : reason.toString(), message);
    }

    /**
     * Before the reply to a failed login: the guard's delay (2 s, 4 s, 8 s … for repeated
     * failures from this address or for this user; a parked virtual thread, no other
     * session waits for it). Interrupted by a stopping server.
     */
    void throttle() throws InterruptedException {
        if (!counted) return;
        Duration d = guard.delayBeforeFailureReply(session.clientAddress().getAddress(), credentials.user(), credentials.secret());
        if (!d.isZero()) {
            session.meters().guard[SessionMeters.THROTTLED].inc();
            session.sleep(d);
        }
    }

    /**
     * The backend took the login: the guard forgets this address's failures, and the user
     * takes its place under max-sessions-per-user; false when there is none left (counted).
     * Counted under the user the router resolved (auth_http's Auth-User), not the name
     * typed: aliases of one mailbox share its max-sessions-per-user (and
     * max-sessions-per-user-ip, per protocol).
     */
    boolean succeeded(String routedUser) {
        if (!counted) return true;
        InetAddress ip = session.clientAddress().getAddress();
        guard.loginSucceeded(ip, credentials.user());
        Guard.Permit place = guard.admitUser(ip, routedUser, session.listener().protocol());
        if (!place.ok()) {
            session.meters().guard[SessionMeters.TOO_MANY_SESSIONS].inc();
            return false;
        }
        session.holdUserPermit(place);
        return true;
    }

    /**
     * RFC 7628 §3.2.2: a client who gave a token (OAUTHBEARER, XOAUTH2) learns of its refusal
     * by an error challenge first ({@code backends}, else the proxy's own); whatever it
     * answers, the protocol's failure reply follows.
     */
    void tokenRefused(String backends) {
        if (tokenExchange != null) OAuth.failureChallenge(tokenExchange, backends != null ? backends : OAuth.errorChallenge());
    }
}
