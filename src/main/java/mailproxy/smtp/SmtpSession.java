package mailproxy.smtp;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import mailproxy.config.SmtpOptions;
import mailproxy.route.LoginRequest;
import mailproxy.sasl.Credentials;
import mailproxy.sasl.SaslException;
import mailproxy.session.Next;
import mailproxy.session.Outcome;
import mailproxy.session.ProtocolSession;
import mailproxy.session.Replies;
import mailproxy.session.Session;
import mailproxy.wire.Connection;

/**
 * One SMTP client, from greeting to relay (RFC 5321; submission RFC 6409 with AUTH RFC
 * 4954; PIPELINING RFC 2920). Two kinds of listener:
 * <ul>
 * <li>submission: the client must AUTH before MAIL; the credentials pick the backend, the
 *     proxy logs in there and answers {@code 235}; from then on bytes are relayed.
 * <li>mx: no AUTH; the proxy keeps MAIL FROM, the first RCPT picks the backend, the proxy
 *     replays EHLO, MAIL and that RCPT there and relays from the backend's RCPT answer on.
 * </ul>
 * Commands are read one line at a time from a buffered connection, so pipelined commands
 * are answered in order without more effort (RFC 2920 §3.1), and whatever the client sent
 * behind the command that logged it in reaches the backend first (wire.Relay).
 */
public final class SmtpSession implements ProtocolSession {
    /** How long a closing session keeps reading what the client still sends (see lingeringClose). */
    private static final Duration LINGER = Duration.ofSeconds(1);
    private static final int LINGER_BYTES = 64 * 1024;
    /** MX mode logs in as nobody: auth_http's Auth-Method none with an empty user. */
    private static final Credentials MX_SENDER = new Credentials("", "", "none", "");

    private final Session session;
    private final Connection client;
    private final boolean mx;
    /** MAIL without AUTH is taken and routed as in mx mode: mx, or auth = [..., none] (nginx smtp_auth none). */
    private final boolean anonymousMail;
    private String helo;
    private SmtpCommand.Mail mail;
    private int errors;
    /** True inside an AUTH exchange: an overlong line there has its own reply (RFC 4954 §6). */
    private boolean inAuth;

    private final Replies replies = new Replies() {
        @Override public String lineTooLong() {
            return (inAuth ? SmtpReply.AUTH_LINE_TOO_LONG : SmtpReply.LINE_TOO_LONG) + "\r\n";
        }
        @Override public String timeout() { return SmtpReply.timeout(session.serverName()) + "\r\n"; }
        // RFC 5321 §3.8 and RFC 3463 X.7.0: 421, then close
        @Override public String tooManyConnections() {
            return "421 4.7.0 " + session.serverName() + " Too many connections from your address\r\n";
        }
        @Override public String tooManySessions() {
            return "421 4.7.0 " + session.serverName() + " Too many sessions for this user\r\n";
        }
        @Override public String authCancelled() { return SmtpReply.AUTH_CANCELLED; }
        @Override public String authMalformed() { return SmtpReply.AUTH_UNDECODABLE; }
        @Override public String authUnsupported() { return SmtpReply.UNKNOWN_MECHANISM; }
        @Override public String authFailed() { return SmtpReply.AUTH_INVALID; }
    };

    public SmtpSession(Session session) {
        this.session = session;
        this.client = session.client();
        this.mx = session.listener().options(SmtpOptions.class).mode() == SmtpOptions.Mode.MX;
        this.anonymousMail = mx || session.listener().options(SmtpOptions.class).authNone();
    }

    @Override
    public Replies replies() { return replies; }

    @Override
    public boolean greet() throws IOException {
        Duration delay = session.listener().options(SmtpOptions.class).greetingDelay();
        if (!delay.isZero() && spokeBeforeGreeting(delay)) return false;
        client.readTimeout(session.limits().timeout());
        // RFC 5321 §4.2: 220 <domain> greeting; "ESMTP" tells clients to try EHLO (§4.1.1.1)
        client.writeLine("220 " + session.serverName() + " ESMTP ready");
        return true;
    }

    @Override
    public boolean next() throws IOException, InterruptedException {
        return handle(SmtpCommand.parse(session.readLine()));
    }

    @Override
    public void closing() { lingeringClose(); }

    /**
     * The greeting delay (postscreen's pregreet test, nginx smtp_greeting_delay): an SMTP
     * client waits for the 220 (RFC 5321 §3.1); one that talks first is a bot. True when
     * the session is over.
     */
    private boolean spokeBeforeGreeting(Duration delay) throws IOException {
        client.readTimeout(delay);
        int first;
        try {
            // Nothing is buffered yet, so one raw read sees the first byte the client sends.
            first = client.input().read();
        } catch (SocketTimeoutException quiet) {
            return false;
        }
        if (first < 0) {
            session.outcome(Outcome.CLIENT_CLOSED);
            return true;
        }
        client.writeLine(SmtpReply.PREGREET);
        session.outcome(Outcome.PREGREET);
        lingeringClose();
        return true;
    }

    /** Answers one command; false ends the session. */
    private boolean handle(SmtpCommand command) throws IOException, InterruptedException {
        switch (command) {
            case SmtpCommand.Ehlo e -> {
                // §4.1.4: EHLO also resets any transaction in progress
                helo = e.domain();
                mail = null;
                client.write(ehloReply());
            }
            case SmtpCommand.Helo h -> {
                helo = h.domain();
                mail = null;
                client.writeLine("250 " + session.serverName());
            }
            case SmtpCommand.StartTls s -> {
                if (session.secure()) return error(SmtpReply.ALREADY_TLS);
                if (!session.canStartTls()) return error(SmtpReply.NOT_IMPLEMENTED);
                client.writeLine(SmtpReply.READY_FOR_TLS);
                session.startTls();
                // RFC 3207 §4.2: discard all knowledge from the client; it must EHLO again
                helo = null;
                mail = null;
            }
            case SmtpCommand.Auth a when session.tlsRequired() -> {
                return error(SmtpReply.TLS_FIRST);
            }
            case SmtpCommand.Mail m when session.tlsRequired() -> {
                return error(SmtpReply.TLS_FIRST);
            }
            case SmtpCommand.Rcpt r when session.tlsRequired() -> {
                return error(SmtpReply.TLS_FIRST);
            }
            case SmtpCommand.Auth a -> {
                return authenticate(a);
            }
            case SmtpCommand.Mail m -> {
                return mail(m);
            }
            case SmtpCommand.Rcpt r -> {
                return rcpt(r);
            }
            case SmtpCommand.Data d -> {
                if (!anonymousMail) return error(SmtpReply.AUTH_REQUIRED);
                return error(mail == null ? SmtpReply.NEED_MAIL : SmtpReply.NEED_RCPT);
            }
            case SmtpCommand.Rset r -> {
                mail = null;
                client.writeLine(SmtpReply.OK);
            }
            case SmtpCommand.Noop n -> client.writeLine(SmtpReply.OK);
            case SmtpCommand.Quit q -> {
                client.writeLine(SmtpReply.BYE);
                session.outcome(Outcome.QUIT);
                return false;
            }
            case SmtpCommand.Vrfy v -> {
                // RFC 4954 §6: 530 for any command but AUTH, EHLO, HELO, NOOP, RSET, QUIT
                if (!anonymousMail) return error(SmtpReply.AUTH_REQUIRED);
                client.writeLine(SmtpReply.CANNOT_VRFY);
            }
            case SmtpCommand.NotImplemented n -> {
                return error(SmtpReply.NOT_IMPLEMENTED);
            }
            case SmtpCommand.Invalid i -> {
                return error(i.reply());
            }
            case SmtpCommand.Unknown u -> {
                return error(SmtpReply.UNRECOGNIZED);
            }
        }
        return true;
    }

    /**
     * RFC 5321 §4.1.1.1: "250-" domain, then one keyword per line, the last with "250 ".
     * Only what the proxy carries before the backend is there: never CHUNKING (BDAT would
     * need the proxy to parse chunks; nginx advertised it from config and lost mail).
     */
    private String ehloReply() {
        List<String> lines = new ArrayList<>();
        lines.add(session.serverName());
        lines.add("PIPELINING");
        long size = session.listener().options(SmtpOptions.class).size();
        if (size > 0) lines.add("SIZE " + size);
        else if (size == 0) lines.add("SIZE"); // RFC 1870 §4: no fixed maximum
        lines.add("8BITMIME"); // bytes pass the relay untouched; the backend carries 8-bit bodies
        lines.add("ENHANCEDSTATUSCODES");
        // nginx smtp_capabilities: what the backend supports and the relay carries as is
        if (!mx) lines.addAll(session.listener().options(SmtpOptions.class).capabilities());
        if (session.canStartTls()) lines.add("STARTTLS");
        if (!mx && !session.listener().auth().isEmpty() && !session.tlsRequired()) {
            lines.add("AUTH " + String.join(" ", session.listener().auth()).toUpperCase(Locale.ROOT));
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            b.append(i == lines.size() - 1 ? "250 " : "250-").append(lines.get(i)).append("\r\n");
        }
        return b.toString();
    }

    /** RFC 4954 §4: AUTH mechanism [initial-response], then 334 challenges until done. */
    private boolean authenticate(SmtpCommand.Auth a) throws IOException, InterruptedException {
        if (mx) return error(SmtpReply.AUTH_NOT_ENABLED);
        if (helo == null) return error(SmtpReply.HELO_FIRST);
        if (!session.listener().offers(a.mechanism())) return error(SmtpReply.UNKNOWN_MECHANISM);
        Credentials credentials;
        inAuth = true; // stays set if the exchange ends the session: replies() reads it
        try {
            credentials = session.authenticate(a.mechanism(), a.initialResponse(), this::challenge);
        } catch (SaslException e) {
            inAuth = false;
            return error(replies.forSasl(e));
        }
        inAuth = false;
        if (!session.login(credentials, null, new SmtpBackendLogin(session, helo, null, credentials, this::challenge)).goOn()) {
            return false;
        }
        // a failed login counts toward max-errors like an invalid command; its reply is sent
        if (++errors < session.limits().maxErrors()) return true;
        client.writeLine(SmtpReply.tooManyErrors(session.serverName()));
        session.outcome(Outcome.TOO_MANY_ERRORS);
        lingeringClose();
        return false;
    }

    /** RFC 4954 §4: "334" SP base64 challenge; the client answers with one line. */
    private String challenge(String base64) throws IOException {
        client.writeLine("334 " + base64);
        return session.readLine();
    }

    private boolean mail(SmtpCommand.Mail m) throws IOException {
        if (!anonymousMail) return error(SmtpReply.AUTH_REQUIRED);
        if (helo == null) return error(SmtpReply.HELO_FIRST);
        if (mail != null) return error(SmtpReply.NESTED_MAIL);
        long max = session.listener().options(SmtpOptions.class).size();
        if (max > 0 && m.size() > max) return error(SmtpReply.SIZE_EXCEEDED);
        mail = m;
        client.writeLine(SmtpReply.SENDER_OK);
        return true;
    }

    /** MX mode: the first RCPT routes the session (auth_http: Auth-Method none, Auth-SMTP-*). */
    private boolean rcpt(SmtpCommand.Rcpt r) throws IOException, InterruptedException {
        if (!anonymousMail) return error(SmtpReply.AUTH_REQUIRED);
        if (mail == null) return error(SmtpReply.NEED_MAIL);
        SmtpBackendLogin backend = new SmtpBackendLogin(session, helo, new SmtpBackendLogin.Envelope(mail.line(), r.line()));
        Next next = session.login(MX_SENDER, new LoginRequest.SmtpFacts(helo, mail.line(), r.line()), backend);
        if (next instanceof Next.Retry retry && retry.transactionEnded()) mail = null;
        return next.goOn();
    }

    /**
     * Sends an error reply; the one that reaches max-errors is still sent, then 421 and
     * close (RFC 5321 §3.8: a server closing on its own sends 421).
     */
    private boolean error(String reply) throws IOException {
        client.writeLine(reply);
        if (++errors >= session.limits().maxErrors()) {
            client.writeLine(SmtpReply.tooManyErrors(session.serverName()));
            session.outcome(Outcome.TOO_MANY_ERRORS);
            lingeringClose();
            return false;
        }
        return true;
    }

    /**
     * Half-closes and reads what the client still sends, bounded in time and bytes, so that
     * closing with unread input does not send a TCP reset that can wipe our last reply from
     * the client's receive buffer before it reads it.
     */
    private void lingeringClose() {
        try {
            client.socket().shutdownOutput();
            client.discardBuffered();
            client.readTimeout(LINGER);
            long deadline = System.nanoTime() + LINGER.toNanos();
            byte[] sink = new byte[4096];
            int total = 0;
            while (total < LINGER_BYTES && System.nanoTime() < deadline) {
                int n = client.input().read(sink);
                if (n < 0) return;
                total += n;
            }
        } catch (IOException | UnsupportedOperationException e) {
            // timeout or reset: the session is closing either way
        }
    }
}
