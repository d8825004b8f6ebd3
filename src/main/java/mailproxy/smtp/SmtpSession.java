package mailproxy.smtp;

import static mailproxy.envelope.SmtpFamilyReplies.line;
import static mailproxy.envelope.SmtpFamilyReplies.multiLine;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import mailproxy.config.SmtpOptions;
import mailproxy.envelope.SmtpFamilyReplies;
import mailproxy.route.LoginRequest;
import mailproxy.sasl.Credentials;
import mailproxy.session.Answer;
import mailproxy.session.Linger;
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
    /** MX mode logs in as nobody: auth_http's Auth-Method none with an empty user. */
    private static final Credentials MX_SENDER = new Credentials("", "", "none", "");

    private final Session session;
    private final Connection client;
    private final boolean mx;
    /** MAIL without AUTH is taken and routed as in mx mode: mx, or auth = [..., none] (nginx smtp_auth none). */
    private final boolean anonymousMail;
    private String helo;
    private SmtpCommand.Mail mail;
    private final Replies replies;

    public SmtpSession(Session session) {
        this.session = session;
        this.client = session.client();
        this.mx = session.listener().options(SmtpOptions.class).mode() == SmtpOptions.Mode.MX;
        this.anonymousMail = mx || session.listener().options(SmtpOptions.class).authNone();
        this.replies = SmtpReply.endings(session.serverName());
    }

    @Override
    public Replies replies() { return replies; }

    @Override
    public boolean greet() throws IOException {
        Duration delay = session.listener().options(SmtpOptions.class).greetingDelay();
        if (!delay.isZero() && spokeBeforeGreeting(delay)) return false;
        client.readTimeout(session.limits().timeout());
        // RFC 5321 §4.2: 220 <domain> greeting; "ESMTP" tells clients to try EHLO (§4.1.1.1)
        client.write(line(SmtpReply.greeting(session.serverName())));
        return true;
    }

    @Override
    public Answer next() throws IOException, InterruptedException {
        return handle(SmtpCommand.parse(session.readLine()));
    }

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
        client.write(line(SmtpReply.PREGREET));
        session.outcome(Outcome.PREGREET);
        Linger.close(client);
        return true;
    }

    /** Answers one command. */
    private Answer handle(SmtpCommand command) throws IOException, InterruptedException {
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
                client.write(line("250 " + session.serverName()));
            }
            case SmtpCommand.StartTls s -> {
                if (session.secure()) return error(SmtpFamilyReplies.ALREADY_TLS);
                if (!session.canStartTls()) return error(SmtpFamilyReplies.NOT_IMPLEMENTED);
                client.write(line(SmtpFamilyReplies.READY_FOR_TLS));
                session.startTls();
                // RFC 3207 §4.2: discard all knowledge from the client; it must EHLO again
                helo = null;
                mail = null;
            }
            case SmtpCommand.Auth a when session.tlsRequired() -> {
                return error(SmtpFamilyReplies.TLS_FIRST);
            }
            case SmtpCommand.Mail m when session.tlsRequired() -> {
                return error(SmtpFamilyReplies.TLS_FIRST);
            }
            case SmtpCommand.Rcpt r when session.tlsRequired() -> {
                return error(SmtpFamilyReplies.TLS_FIRST);
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
                return error(mail == null ? SmtpFamilyReplies.NEED_MAIL : SmtpReply.NEED_RCPT);
            }
            case SmtpCommand.Rset r -> {
                mail = null;
                client.write(line(SmtpFamilyReplies.OK));
            }
            case SmtpCommand.Noop n -> client.write(line(SmtpFamilyReplies.OK));
            case SmtpCommand.Quit q -> {
                client.write(line(SmtpFamilyReplies.BYE));
                session.outcome(Outcome.QUIT);
                return Answer.END;
            }
            case SmtpCommand.Vrfy v -> {
                // RFC 4954 §6: 530 for any command but AUTH, EHLO, HELO, NOOP, RSET, QUIT
                if (!anonymousMail) return error(SmtpReply.AUTH_REQUIRED);
                client.write(line(SmtpFamilyReplies.CANNOT_VRFY));
            }
            case SmtpCommand.NotImplemented n -> {
                return error(SmtpFamilyReplies.NOT_IMPLEMENTED);
            }
            case SmtpCommand.Invalid i -> {
                return error(i.reply());
            }
            case SmtpCommand.Unknown u -> {
                return error(SmtpFamilyReplies.UNRECOGNIZED);
            }
        }
        return Answer.DONE;
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
        return multiLine(250, lines);
    }

    /** RFC 4954 §4: AUTH mechanism [initial-response], then 334 challenges until done. */
    private Answer authenticate(SmtpCommand.Auth a) throws IOException, InterruptedException {
        if (mx) return error(SmtpReply.AUTH_NOT_ENABLED);
        if (helo == null) return error(SmtpReply.HELO_FIRST);
        String heloName = helo;
        return session.authenticateAndLogin(new Session.Auth(a.mechanism(), a.initialResponse(), this::challenge,
                replies, SmtpFamilyReplies::line, c -> new SmtpBackendLogin(session, heloName, null, c)));
    }

    /** RFC 4954 §4: "334" SP base64 challenge; the client answers with one line. */
    private String challenge(String base64) throws IOException {
        client.write(line("334 " + base64));
        return session.readLine();
    }

    private Answer mail(SmtpCommand.Mail m) throws IOException {
        if (!anonymousMail) return error(SmtpReply.AUTH_REQUIRED);
        if (helo == null) return error(SmtpReply.HELO_FIRST);
        if (mail != null) return error(SmtpFamilyReplies.NESTED_MAIL);
        long max = session.listener().options(SmtpOptions.class).size();
        if (max > 0 && m.size() > max) return error(SmtpFamilyReplies.SIZE_EXCEEDED);
        mail = m;
        client.write(line(SmtpFamilyReplies.SENDER_OK));
        return Answer.DONE;
    }

    /** MX mode: the first RCPT routes the session (auth_http: Auth-Method none, Auth-SMTP-*). */
    private Answer rcpt(SmtpCommand.Rcpt r) throws IOException, InterruptedException {
        if (!anonymousMail) return error(SmtpReply.AUTH_REQUIRED);
        if (mail == null) return error(SmtpFamilyReplies.NEED_MAIL);
        SmtpBackendLogin backend = new SmtpBackendLogin(session, helo, new SmtpBackendLogin.Envelope(mail.line(), r.line()));
        Next next = session.login(MX_SENDER, new LoginRequest.SmtpFacts(helo, mail.line(), r.line()), backend, null);
        if (next instanceof Next.Retry retry && retry.transactionEnded()) mail = null;
        // a refused recipient is the backend's answer, not the client's error: not counted
        return next.goOn() ? Answer.DONE : Answer.END;
    }

    /** An error reply, counted toward max-errors by the command loop (then 421 and close). */
    private static Answer error(String reply) {
        return Answer.error(line(reply));
    }
}
