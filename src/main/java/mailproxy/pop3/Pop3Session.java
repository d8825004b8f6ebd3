package mailproxy.pop3;

import java.io.IOException;
import java.util.Locale;
import mailproxy.config.Pop3Options;
import mailproxy.sasl.CramMd5;
import mailproxy.sasl.Credentials;
import mailproxy.sasl.SaslException;
import mailproxy.session.Outcome;
import mailproxy.session.ProtocolSession;
import mailproxy.session.Replies;
import mailproxy.session.Session;
import mailproxy.wire.Connection;

/**
 * One POP3 client, from greeting to relay (RFC 1939 AUTHORIZATION state, CAPA RFC 2449,
 * AUTH RFC 5034). The proxy answers everything until the client has given credentials;
 * then the backend takes over and the proxy only copies bytes.
 */
public final class Pop3Session implements ProtocolSession {
    static final String OK = "+OK\r\n";
    /** RFC 2595 §4 / RFC 8314: with starttls = only, nothing that carries a password before TLS. */
    static final String TLS_FIRST = "-ERR Command not permitted before STLS";
    static final String AUTH_FAILED = "-ERR [AUTH] Authentication failed.\r\n";
    /** RFC 3206 §4: SYS/TEMP is "a problem which is likely to be temporary". */
    static final String TEMP_FAILURE = "-ERR [SYS/TEMP] Temporary failure, please try again later.\r\n";

    /** POP3's texts for the endings the session handles; the SASL ones go through {@link #error}. */
    static final Replies REPLIES = new Replies() {
        @Override public String lineTooLong() { return "-ERR Line too long\r\n"; }
        @Override public String timeout() { return "-ERR Disconnected for inactivity.\r\n"; }
        // RFC 2449 §8.1.2: IN-USE "the maildrop is in use" is what clients show as busy
        @Override public String tooManyConnections() { return "-ERR [IN-USE] Too many connections from your address\r\n"; }
        @Override public String tooManySessions() { return "-ERR [IN-USE] Too many sessions for this user\r\n"; }
        @Override public String authCancelled() { return "-ERR Authentication cancelled"; }
        @Override public String authMalformed() { return "-ERR Invalid authentication data"; }
        @Override public String authUnsupported() { return "-ERR Unsupported authentication mechanism"; }
        // RFC 3206 §5: AUTH "the server is not able to authenticate the user"
        @Override public String authFailed() { return AUTH_FAILED.strip(); }
    };

    private final Session session;
    private final Connection client;
    /** The APOP timestamp from the greeting (RFC 1939 §7), or null when APOP and CRAM-MD5 are off. */
    private final String timestamp;
    private String pendingUser;
    private int errors;

    public Pop3Session(Session session) {
        this.session = session;
        this.client = session.client();
        // nginx shows the timestamp when APOP or CRAM-MD5 is on; clients take it as the
        // hint. Not where TLS must come first: APOP would send a login in plaintext.
        boolean digest = session.listener().options(Pop3Options.class).apop() || session.listener().offers("cram-md5");
        this.timestamp = digest && !session.tlsRequired() ? CramMd5.challenge(session.serverName()) : null;
    }

    @Override
    public Replies replies() { return REPLIES; }

    @Override
    public boolean greet() throws IOException {
        // RFC 1939 §7: "the POP3 server ... includes a timestamp in its banner greeting"
        client.writeLine("+OK " + session.serverName() + " POP3 ready" + (timestamp == null ? "" : " " + timestamp));
        return true;
    }

    @Override
    public boolean next() throws IOException, InterruptedException {
        return handle(Pop3Command.parse(session.readLine()));
    }

    /** Answers one command; false ends the session. */
    private boolean handle(Pop3Command command) throws IOException, InterruptedException {
        switch (command) {
            case Pop3Command.Capa c -> client.write(capabilities());
            case Pop3Command.Noop n -> client.write(OK);
            case Pop3Command.Quit q -> {
                // RFC 1939 §6: in AUTHORIZATION state QUIT just ends the session
                client.writeLine("+OK " + session.serverName() + " POP3 signing off");
                session.outcome(Outcome.QUIT);
                return false;
            }
            case Pop3Command.User u when session.tlsRequired() -> {
                return error(TLS_FIRST);
            }
            case Pop3Command.Pass p when session.tlsRequired() -> {
                return error(TLS_FIRST);
            }
            case Pop3Command.Auth a when session.tlsRequired() -> {
                return error(TLS_FIRST);
            }
            case Pop3Command.Apop a when session.tlsRequired() -> {
                return error(TLS_FIRST);
            }
            case Pop3Command.User u -> {
                pendingUser = u.name();
                client.write(OK);
            }
            case Pop3Command.Pass p -> {
                if (pendingUser == null) return error("-ERR USER first");
                String user = pendingUser;
                pendingUser = null;
                return login(Credentials.plain(user, p.password()));
            }
            case Pop3Command.Auth a when a.mechanism() == null -> client.write(mechanismList());
            case Pop3Command.Auth a -> {
                return authenticate(a);
            }
            case Pop3Command.Apop a -> {
                if (!session.listener().options(Pop3Options.class).apop()) return error("-ERR APOP not enabled");
                // RFC 1939 §7: digest = MD5(timestamp + secret) as 32 hex digits; the auth
                // server checks it against Auth-Salt and returns the backend password
                if (!CramMd5.isDigest(a.digest())) return error("-ERR APOP digest must be 32 hex digits");
                return login(new Credentials(a.name(), a.digest(), "apop", timestamp));
            }
            case Pop3Command.Stls s -> {
                if (!session.canStartTls()) return error(session.secure() ? "-ERR Already in TLS" : "-ERR STLS not enabled");
                // RFC 2595 §4: "+OK", then the handshake; the AUTHORIZATION state starts over
                client.writeLine("+OK Begin TLS negotiation");
                session.startTls();
                pendingUser = null;
            }
            case Pop3Command.Invalid i -> {
                return error("-ERR " + i.reply());
            }
            case Pop3Command.Unknown u -> {
                return error("-ERR Unknown command or not allowed before login");
            }
        }
        return true;
    }

    private boolean authenticate(Pop3Command.Auth a) throws IOException, InterruptedException {
        if (!session.listener().offers(a.mechanism())) return error(REPLIES.authUnsupported());
        Credentials credentials;
        try {
            credentials = session.authenticate(a.mechanism(), a.initialResponse(), this::challenge);
        } catch (SaslException e) {
            return error(REPLIES.forSasl(e));
        }
        return login(credentials);
    }

    /** RFC 5034 §4: "+ " followed by the base64 challenge; the response is one line. */
    private String challenge(String base64) throws IOException {
        client.writeLine("+ " + base64);
        return session.readLine();
    }

    /** A failed login counts toward max-errors like an invalid command; its -ERR is sent already. */
    private boolean login(Credentials c) throws IOException, InterruptedException {
        if (!session.login(c, null, new Pop3BackendLogin(session, c, this::challenge)).goOn()) return false;
        if (++errors < session.limits().maxErrors()) return true;
        session.outcome(Outcome.TOO_MANY_ERRORS);
        return false;
    }

    /** Sends an error reply; past max-errors the session ends after it (nginx's behaviour). */
    private boolean error(String reply) throws IOException {
        client.writeLine(reply);
        if (++errors >= session.limits().maxErrors()) {
            session.outcome(Outcome.TOO_MANY_ERRORS);
            return false;
        }
        return true;
    }

    private String capabilities() {
        StringBuilder b = new StringBuilder("+OK Capability list follows\r\n");
        for (String cap : session.listener().options(Pop3Options.class).capabilities()) b.append(cap).append("\r\n");
        if (session.canStartTls()) b.append("STLS\r\n");
        if (session.tlsRequired()) return b.append(".\r\n").toString(); // RFC 2595 §4: no USER, no SASL yet
        b.append("USER\r\n");
        if (!session.listener().auth().isEmpty()) {
            b.append("SASL");
            for (String m : session.listener().auth()) b.append(' ').append(m.toUpperCase(Locale.ROOT));
            b.append("\r\n");
        }
        return b.append(".\r\n").toString();
    }

    private String mechanismList() {
        StringBuilder b = new StringBuilder("+OK\r\n");
        for (String m : session.listener().auth()) b.append(m.toUpperCase(Locale.ROOT)).append("\r\n");
        return b.append(".\r\n").toString();
    }
}
