package mailproxy.session;

import java.io.IOException;
import java.util.Locale;
import mailproxy.sasl.Challenger;
import mailproxy.sasl.Credentials;
import mailproxy.sasl.SaslException;
import mailproxy.sasl.SaslServer;

/**
 * The client's SASL exchange (AUTH, AUTHENTICATE), as the session runs it for every
 * protocol, and what the session remembers of it: the mechanism of the login under way,
 * for its audit line, and what ended the exchange's reading of the client (an overlong
 * line there has its own reply, {@link Replies#saslLineTooLong()}). Owned by the session's
 * thread, which drops it when the login attempt is over.
 */
final class ClientSasl {
    private final LiveSession session;
    /** What ended the last exchange's reading of the client, if anything. */
    private IOException ended;
    /** The mechanism of the login under way, as named (PLAIN, LOGIN, ...); null: the protocol's own command (LOGIN, USER/PASS, APOP). */
    private String mechanism;

    ClientSasl(LiveSession session) {
        this.session = session;
    }

    /**
     * One exchange; a failure that never reached the router (malformed, refused) is counted
     * and audited here, since no login will be.
     *
     * @param identity the verified client certificate's identity (EXTERNAL), or null
     */
    Credentials authenticate(String name, String initialResponse, Challenger challenger, String identity)
            throws SaslException, IOException {
        mechanism = name.toUpperCase(Locale.ROOT);
        try {
            return SaslServer.authenticate(name, initialResponse, challenger, identity, session.serverName());
        } catch (IOException e) {
            ended = e; // an overlong line inside the exchange has its own reply
            throw e;
        } catch (SaslException e) {
            if (e.kind() == SaslException.Kind.MALFORMED || e.kind() == SaslException.Kind.REFUSED) {
                // an attempt that never reached the router: a mechanism the listener offers, so a known label
                // named as auth_http's Auth-Method, as a finished exchange would be (README, "Audit
                // log"): SASL LOGIN carries a plain password
                String mech = name.toLowerCase(Locale.ROOT);
                if (mech.equals("login")) mech = "plain";
                session.meters().login(mech, SessionMeters.FAILED);
                Audit.attempt(session, null, mech, Audit.NOT_ASKED, null, SessionMeters.FAILED,
                        "sasl-" + e.kind().name().toLowerCase(Locale.ROOT), null);
            }
            mechanism = null;
            throw e;
        }
    }

    /** Whether {@code e} is what ended the last exchange's reading of the client. */
    boolean ended(IOException e) { return e == ended; }

    /** For the audit line: the SASL mechanism of the attempt under way, or null. */
    String mechanism() { return mechanism; }
}
