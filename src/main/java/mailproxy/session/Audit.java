package mailproxy.session;

import java.time.Instant;
import mailproxy.wire.Addresses;
import mailproxy.wire.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One key=value line per login attempt on the logger {@code mailproxy.audit} (nginx logs
 * its auth failures; this logs every attempt), beside the session's own line:
 * <pre>
 * time=2025-06-01T12:00:00.123Z session=1-x3f protocol=imap listener=imap client=127.0.0.1:50122 user=alice mechanism=plain sasl=- verdict=ok backend=127.0.0.1:3143 route=hash result=success
 * time=... user=alice mechanism=plain sasl=LOGIN verdict=ok backend=127.0.0.1:3143 route=assigned result=failed reason=backend-refused
 * </pre>
 * mechanism is auth_http's Auth-Method, as the router was asked and as the metric
 * mailproxy_logins_total's label counts it: plain for every password login (IMAP LOGIN,
 * POP3 USER/PASS, AUTH PLAIN, AUTH LOGIN), apop, cram-md5, external, oauthbearer, xoauth2.
 * sasl is the SASL mechanism the client named in AUTH / AUTHENTICATE (RFC 4422), as it
 * named it, upper case (PLAIN, LOGIN, CRAM-MD5, XOAUTH2 ...), or - when it logged in with
 * its protocol's own command (IMAP LOGIN, POP3 USER/PASS or APOP).
 * route (after backend, when one was chosen) says why that server: hash (the pool's
 * policy; user-hash with no assignment), assigned (where the user's sessions are or were
 * within affinity-ttl), moved-down or moved-drain (the assignment was given up for that),
 * elsewhere (the user's sessions are open there, through this or another proxy: README,
 * "Several proxies"), failover (an earlier server failed), or the policy's name
 * (least-connections, round-robin).
 * verdict is the router's: ok, reject, unavailable, or - when it was not asked (the guard
 * or SASL ended the attempt first). result: success, failed (credentials, refusal, block)
 * or error (something was unavailable). reason is an outcome word (as in the session
 * line); message is what a router gave the client. Values with a space, a quote, an equals
 * sign or anything but printable ASCII are quoted with escapes (LogSafe.value), so a user
 * name cannot add a field. Never a password.
 */
final class Audit {
    static final Logger log = LoggerFactory.getLogger("mailproxy.audit");

    private Audit() {}

    /** Router verdicts as written. */
    static final String OK = "ok", REJECT = "reject", UNAVAILABLE = "unavailable", NOT_ASKED = "-";

    static void attempt(LiveSession s, String user, String mechanism, String verdict, String backend, int result,
                        String reason, String message) {
        attempt(s, user, mechanism, verdict, backend, null, result, reason, message);
    }

    /** {@code route}: why the backend was chosen (Pool.Choice: hash, assigned, moved-down, moved-drain, elsewhere, failover), or null. */
    static void attempt(LiveSession s, String user, String mechanism, String verdict, String backend, String route, int result,
                        String reason, String message) {
        if (!log.isInfoEnabled()) return;
        StringBuilder b = new StringBuilder(200);
        b.append("time=");
        AuditTime.append(b, Instant.now());
        b.append(" session=").append(s.sessionId())
                .append(" protocol=").append(s.listener().protocol().id())
                .append(" listener=").append(value(s.listener().name()))
                .append(" client=").append(Addresses.hostPort(s.clientAddress()))
                .append(" user=").append(value(user))
                .append(" mechanism=").append(value(mechanism))
                .append(" sasl=").append(value(s.saslMechanism()))
                .append(" verdict=").append(verdict)
                .append(" backend=").append(value(backend));
        if (route != null) b.append(" route=").append(route);
        b.append(" result=").append(result == SessionMeters.SUCCESS ? "success" : result == SessionMeters.FAILED ? "failed" : "error");
        if (reason != null) b.append(" reason=").append(value(reason));
        if (message != null) b.append(" message=").append(value(message));
        log.info(b.toString());
    }

    /** "-" when absent, else LogSafe.value: quoted and escaped where a parser could be fooled. */
    static String value(String v) {
        return v == null || v.isEmpty() ? "-" : LogSafe.value(v);
    }
}
