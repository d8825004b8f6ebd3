package mailproxy.pop3;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import mailproxy.config.Pop3Options;
import mailproxy.sasl.CramMd5;
import mailproxy.sasl.Credentials;
import mailproxy.session.Answer;
import mailproxy.session.Outcome;
import mailproxy.session.ProtocolSession;
import mailproxy.session.Replies;
import mailproxy.session.Session;
import mailproxy.wire.Connection;

/**
 * One POP3 client, from greeting to relay (RFC 1939 AUTHORIZATION state, CAPA RFC 2449,
 * AUTH RFC 5034). The proxy answers everything until the client has given credentials;
 * then the backend takes over and the proxy only copies bytes. Its texts are
 * {@link Pop3Replies}.
 */
public final class Pop3Session implements ProtocolSession {
    private final Session session;
    private final Connection client;
    /** The APOP timestamp from the greeting (RFC 1939 §7), or null when APOP and CRAM-MD5 are off. */
    private final String timestamp;
    private String pendingUser;

    public Pop3Session(Session session) {
        this.session = session;
        this.client = session.client();
        // nginx shows the timestamp when APOP or CRAM-MD5 is on; clients take it as the
        // hint. Not where TLS must come first: APOP would send a login in plaintext.
        boolean digest = session.listener().options(Pop3Options.class).apop() || session.listener().offers("cram-md5");
        this.timestamp = digest && !session.tlsRequired() ? CramMd5.challenge(session.serverName()) : null;
    }

    @Override
    public Replies replies() { return Pop3Replies.ENDINGS; }

    @Override
    public boolean greet() throws IOException {
        // RFC 1939 §7: "the POP3 server ... includes a timestamp in its banner greeting"
        client.write(Pop3Replies.greeting(session.serverName(), timestamp));
        return true;
    }

    @Override
    public Answer next() throws IOException, InterruptedException {
        return handle(Pop3Command.parse(session.readLine()));
    }

    /** Answers one command. */
    private Answer handle(Pop3Command command) throws IOException, InterruptedException {
        switch (command) {
            case Pop3Command.Capa c -> client.write(capabilities());
            case Pop3Command.Noop n -> client.write(Pop3Replies.OK);
            case Pop3Command.Quit q -> {
                // RFC 1939 §6: in AUTHORIZATION state QUIT just ends the session
                client.write(Pop3Replies.signingOff(session.serverName()));
                session.outcome(Outcome.QUIT);
                return Answer.END;
            }
            case Pop3Command.User u when session.tlsRequired() -> {
                return Answer.error(Pop3Replies.TLS_FIRST);
            }
            case Pop3Command.Pass p when session.tlsRequired() -> {
                return Answer.error(Pop3Replies.TLS_FIRST);
            }
            case Pop3Command.Auth a when session.tlsRequired() -> {
                return Answer.error(Pop3Replies.TLS_FIRST);
            }
            case Pop3Command.Apop a when session.tlsRequired() -> {
                return Answer.error(Pop3Replies.TLS_FIRST);
            }
            case Pop3Command.User u -> {
                pendingUser = u.name();
                client.write(Pop3Replies.OK);
            }
            case Pop3Command.Pass p -> {
                if (pendingUser == null) return Answer.error(Pop3Replies.USER_FIRST);
                String user = pendingUser;
                pendingUser = null;
                return login(Credentials.plain(user, p.password()));
            }
            case Pop3Command.Auth a when a.mechanism() == null -> client.write(mechanismList());
            case Pop3Command.Auth a -> {
                return session.authenticateAndLogin(new Session.Auth(a.mechanism(), a.initialResponse(), this::challenge,
                        Pop3Replies.ENDINGS, Pop3Replies::line, c -> new Pop3BackendLogin(session, c)));
            }
            case Pop3Command.Apop a -> {
                if (!session.listener().options(Pop3Options.class).apop()) return Answer.error(Pop3Replies.APOP_DISABLED);
                // RFC 1939 §7: digest = MD5(timestamp + secret) as 32 hex digits; the auth
                // server checks it against Auth-Salt and returns the backend password
                if (!CramMd5.isDigest(a.digest())) return Answer.error(Pop3Replies.APOP_NOT_A_DIGEST);
                return login(new Credentials(a.name(), a.digest(), "apop", timestamp));
            }
            case Pop3Command.Stls s -> {
                if (!session.canStartTls()) return Answer.error(session.secure() ? Pop3Replies.ALREADY_TLS : Pop3Replies.STLS_UNAVAILABLE);
                // RFC 2595 §4: "+OK", then the handshake; the AUTHORIZATION state starts over
                client.write(Pop3Replies.BEGIN_TLS);
                session.startTls();
                pendingUser = null;
            }
            case Pop3Command.Invalid i -> {
                return Answer.error(Pop3Replies.err(i.reply()));
            }
            case Pop3Command.Unknown u -> {
                return Answer.error(Pop3Replies.UNKNOWN);
            }
        }
        return Answer.DONE;
    }

    /** RFC 5034 §4: "+ " followed by the base64 challenge; the response is one line. */
    private String challenge(String base64) throws IOException {
        client.write(Pop3Replies.continuation(base64));
        return session.readLine();
    }

    private Answer login(Credentials c) throws IOException, InterruptedException {
        return Answer.afterLogin(session.login(c, null, new Pop3BackendLogin(session, c), null));
    }

    /** RFC 2449 §5: CAPA's list; with STLS first required (RFC 2595 §4) no USER, no SASL yet. */
    private String capabilities() {
        List<String> caps = new ArrayList<>(session.listener().options(Pop3Options.class).capabilities());
        if (session.canStartTls()) caps.add("STLS");
        if (!session.tlsRequired()) {
            caps.add("USER");
            if (!session.listener().auth().isEmpty()) {
                StringBuilder sasl = new StringBuilder("SASL");
                for (String m : session.listener().auth()) sasl.append(' ').append(Pop3Replies.upper(m));
                caps.add(sasl.toString());
            }
        }
        return Pop3Replies.multiLine("+OK Capability list follows", caps);
    }

    /** RFC 5034 §4: AUTH without a mechanism lists the mechanisms. */
    private String mechanismList() {
        return Pop3Replies.multiLine("+OK", session.listener().auth().stream().map(Pop3Replies::upper).toList());
    }
}
