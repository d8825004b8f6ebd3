package mailproxy.smtp;

import static mailproxy.envelope.SmtpFamilyReplies.line;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import mailproxy.config.Backend;
import mailproxy.envelope.SmtpFamilyReplies;
import mailproxy.route.Route;
import mailproxy.route.Target;
import mailproxy.sasl.Credentials;
import mailproxy.sasl.OAuth;
import mailproxy.sasl.SaslServer;
import mailproxy.session.BackendLogin;
import mailproxy.session.Session;
import mailproxy.wire.Addresses;
import mailproxy.wire.Connection;
import mailproxy.wire.LogSafe;

/**
 * Opens the backend session for one client (README.md, "SMTP": the backend sequence):
 * {@code 220}; {@code EHLO <server-name>}; when enabled {@code XCLIENT} with the client's
 * address, then EHLO again (XCLIENT resets the session and Postfix greets anew); when
 * enabled {@code AUTH PLAIN} or {@code AUTH LOGIN}; then either {@code 235} to the client
 * (submission) or, in MX mode, the client's MAIL and RCPT replayed, the backend's RCPT
 * answer going to the client.
 *
 * <p>One instance per login attempt: it carries that attempt's HELO name and envelope.
 */
final class SmtpBackendLogin implements BackendLogin {
    /** Replies with more lines than this are garbage, not a server talking. */
    private static final int MAX_REPLY_LINES = 200;
    /** XCLIENT attributes the proxy can fill (Postfix XCLIENT_README). */
    private static final List<String> XCLIENT_ATTRIBUTES = List.of("ADDR", "PORT", "NAME", "LOGIN", "HELO");

    /** MX mode: the client's MAIL and first RCPT lines, replayed as sent. */
    record Envelope(String mail, String rcpt) {}

    private final Session session;
    private final String helo;
    private final Envelope envelope;
    private final boolean mx;
    /** What the client logged in with (submission), or null (MX mode). */
    private final Credentials client;
    /** The backend's error challenge to a token login (base64), passed on to the client. */
    private String errorChallenge;

    /**
     * @param helo     the client's HELO/EHLO name, or null
     * @param envelope MX mode's envelope, or null for submission
     */
    SmtpBackendLogin(Session session, String helo, Envelope envelope) {
        this(session, helo, envelope, null);
    }

    /** Submission: {@code client} is what the client authenticated with. */
    SmtpBackendLogin(Session session, String helo, Envelope envelope, Credentials client) {
        this.session = session;
        this.helo = helo;
        this.envelope = envelope;
        this.mx = envelope != null;
        this.client = client;
    }

    @Override
    public String errorChallenge() { return errorChallenge; }

    @Override
    public Result login(Connection b, Target target, Route.Ok route, BackendTls tls) throws IOException {
        int max = session.limits().backendLineLength();
        Reply r = Reply.read(b, max);
        if (r.code != 220) return new Result.Broken("greeting: " + r);
        r = Reply.send(b, "EHLO " + session.serverName(), max);
        if (r.code != 250) return new Result.Broken("EHLO refused: " + r);
        Backend.Smtp options = target.options().smtp();
        if (options != null && options.tls() == Backend.Tls.STARTTLS) {
            r = Reply.send(b, "STARTTLS", max);
            if (r.code != 220) return new Result.Broken("STARTTLS refused: " + r);
            tls.upgrade(b, target);
            // RFC 3207 §4.2: the server forgets the EHLO; say it again, now under TLS
            r = Reply.send(b, "EHLO " + session.serverName(), max);
            if (r.code != 250) return new Result.Broken("EHLO after STARTTLS refused: " + r);
        }
        Backend.SmtpAuth auth = options == null ? Backend.SmtpAuth.NONE : options.auth();
        // Without credentials (MX mode) there is nothing to AUTH with.
        boolean authenticate = auth != Backend.SmtpAuth.NONE && !route.user().isEmpty();
        Set<String> offered = null;
        if (options != null && options.xclient()) {
            offered = r.xclientAttributes();
            if (offered == null) {
                return new Result.Broken("backend does not offer XCLIENT to the proxy"
                        + " (Postfix: list the proxy in smtpd_authorized_xclient_hosts)");
            }
        }
        // from the XCLIENT on (the client's HELO name and user go in it; Postfix refuses
        // one longer than it takes) the backend answers what the client sent
        Reply ehlo = r;
        Set<String> xclient = offered;
        return BackendLogin.clientInput(() -> clientPart(b, ehlo, xclient, authenticate, auth, route, max));
    }

    /**
     * XCLIENT where wanted (then EHLO again), AUTH where wanted, then the answer: 235 to the
     * client (submission) or the replayed envelope (MX mode).
     *
     * @param r the backend's answer to EHLO
     * @param offered the XCLIENT attributes the backend offers, or null for no XCLIENT
     */
    private Result clientPart(Connection b, Reply r, Set<String> offered, boolean authenticate, Backend.SmtpAuth auth,
                              Route.Ok route, int max) throws IOException {
        if (offered != null) {
            // LOGIN= makes Postfix treat the session as authenticated, and it then refuses
            // AUTH ("already authenticated"): send it only when we will not AUTH.
            String login = authenticate ? "" : route.user();
            r = Reply.send(b, xclient(offered, login), max);
            if (r.code / 100 != 2) return new Result.Broken("XCLIENT refused: " + r);
            // "the server responds with a 220 greeting ... the client must send EHLO again"
            r = Reply.send(b, "EHLO " + (helo != null ? helo : session.serverName()), max);
            if (r.code != 250) return new Result.Broken("EHLO after XCLIENT refused: " + r);
        }
        if (authenticate) {
            String token = OAuth.backendMechanism(client, route.user(), route.password(), r.authMechanisms());
            Result result = token != null ? authToken(b, token, route, max)
                    : auth == Backend.SmtpAuth.PLAIN ? authPlain(b, route, max) : authLogin(b, route, max);
            if (!(result instanceof Result.Accepted)) return result;
        }
        return mx ? replay(b, max) : new Result.Accepted(line(SmtpReply.AUTH_OK));
    }

    /** Postfix: XCLIENT SP attribute-name"="attribute-value ..., values in xtext. */
    private String xclient(Set<String> offered, String login) {
        InetAddress a = session.clientAddress().getAddress();
        // Postfix: "IPv6 addresses must be specified with the IPV6: prefix"
        String addr = a instanceof Inet6Address ? "IPV6:" + Addresses.ip(a) : Addresses.ip(a);
        StringBuilder line = new StringBuilder("XCLIENT");
        for (String attr : XCLIENT_ATTRIBUTES) {
            if (!offered.isEmpty() && !offered.contains(attr)) continue;
            String value = switch (attr) {
                case "ADDR" -> addr;
                case "PORT" -> Integer.toString(session.clientAddress().getPort());
                // No reverse lookup here; Postfix reads "[UNAVAILABLE]" as "no name" ("unknown").
                case "NAME" -> "[UNAVAILABLE]";
                case "LOGIN" -> login;
                case "HELO" -> helo == null ? "" : helo;
                default -> "";
            };
            if (!value.isEmpty()) line.append(' ').append(attr).append('=').append(Xtext.encode(value));
        }
        return line.toString();
    }

    /** RFC 4954 §4 with an initial response (RFC 4616 message); base64 keeps any byte off the line. */
    private Result authPlain(Connection b, Route.Ok route, int max) throws IOException {
        String response = SaslServer.encode("\0" + route.user() + "\0" + route.password());
        return authResult("PLAIN", Reply.send(b, "AUTH PLAIN " + response, max));
    }

    /**
     * The client's token mechanism (RFC 4954 §4 with an initial response; RFC 7628). A 334
     * after it is the error challenge: answered for the client, kept to show it, then 535.
     */
    private Result authToken(Connection b, String mechanism, Route.Ok route, int max) throws IOException {
        String name = mechanism.toUpperCase(Locale.ROOT);
        Reply r = Reply.send(b, "AUTH " + name + " " + OAuth.backendResponse(mechanism, route.user(), route.password()), max);
        if (r.code == 334) {
            String last = r.lines.get(r.lines.size() - 1);
            errorChallenge = last.length() > 4 ? last.substring(4).trim() : "";
            r = Reply.send(b, OAuth.dummyResponse(mechanism), max);
        }
        return authResult(name, r);
    }

    /** The LOGIN mechanism step by step (Exchange wants it): 334 Username:, 334 Password:. */
    private Result authLogin(Connection b, Route.Ok route, int max) throws IOException {
        Reply r = Reply.send(b, "AUTH LOGIN", max);
        if (r.code != 334) return authResult("LOGIN", r);
        r = Reply.send(b, SaslServer.encode(route.user()), max);
        if (r.code != 334) return authResult("LOGIN", r);
        return authResult("LOGIN", Reply.send(b, SaslServer.encode(route.password()), max));
    }

    /**
     * RFC 4954 §6: 235 accepted; 535 (credentials invalid) and 454 (temporary
     * authentication failure) are the user's business and go to the client, who may try
     * again. Anything else (503 not enabled, 504 unknown mechanism, 530 STARTTLS first,
     * 534 too weak) is a backend set up unlike its config here: log it, temporary failure.
     */
    private Result authResult(String mechanism, Reply r) {
        if (r.code == 235) return new Result.Accepted(line(SmtpReply.AUTH_OK));
        if ((r.code == 535 || r.code == 454) && !mx) return new Result.Refused(r.text);
        return new Result.Broken("AUTH " + mechanism + " refused: " + r);
    }

    /**
     * MX mode: the backend gets the client's MAIL and RCPT as sent. A refused MAIL is the
     * answer to the client's RCPT and ends the transaction; the RCPT answer, whatever it
     * is, goes to the client and the relay starts (further RCPTs go to this backend, as
     * with nginx).
     */
    private Result replay(Connection b, int max) throws IOException {
        Reply r = Reply.send(b, envelope.mail(), max);
        if (r.code / 100 != 2) return new Result.Refused(r.text, true);
        r = Reply.send(b, envelope.rcpt(), max);
        return new Result.Accepted(r.text);
    }

    @Override
    public void rejected(Route.Reject reject) throws IOException {
        String code = reject.smtpCode() == null || reject.smtpCode().isBlank()
                ? (mx ? SmtpReply.MX_REJECT_CODE : SmtpReply.AUTH_INVALID_CODE)
                : reject.smtpCode().trim();
        session.client().write(line(LogSafe.oneLine(code + " " + reject.message())));
    }

    @Override
    public void unavailable() throws IOException {
        session.client().write(line(SmtpReply.unavailable(session.serverName())));
    }

    /**
     * One SMTP reply, all its lines (RFC 5321 §4.2.1: "Reply-code [ SP textstring ] CRLF",
     * continuation lines with "-" after the code).
     */
    record Reply(int code, String text, List<String> lines) {
        static Reply send(Connection b, String command, int max) throws IOException {
            b.writeLine(command);
            return read(b, max);
        }

        static Reply read(Connection b, int max) throws IOException {
            List<String> lines = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            while (lines.size() < MAX_REPLY_LINES) {
                String line = b.readLine(max);
                if (line == null) throw new IOException("backend closed the connection"
                        + (lines.isEmpty() ? "" : " after " + LogSafe.text(lines.get(0))));
                if (line.length() < 3 || !isCode(line) || (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-')) {
                    throw new IOException("backend sent a malformed reply: " + LogSafe.text(line));
                }
                lines.add(line);
                text.append(SmtpFamilyReplies.line(line));
                if (line.length() == 3 || line.charAt(3) == ' ') {
                    return new Reply(Integer.parseInt(line.substring(0, 3)), text.toString(), List.copyOf(lines));
                }
            }
            throw new IOException("backend reply longer than " + MAX_REPLY_LINES + " lines");
        }

        private static boolean isCode(String line) {
            return line.charAt(0) >= '2' && line.charAt(0) <= '5'
                    && Character.isDigit(line.charAt(1)) && Character.isDigit(line.charAt(2));
        }

        /** The mechanisms after the EHLO keyword AUTH (RFC 4954 §3), upper-case; empty if absent. */
        Set<String> authMechanisms() {
            Set<String> out = new java.util.HashSet<>();
            for (String line : lines.subList(1, lines.size())) {
                String[] words = line.substring(Math.min(4, line.length())).trim().split(" +");
                if (!words[0].equalsIgnoreCase("AUTH")) continue;
                for (int i = 1; i < words.length; i++) out.add(words[i].toUpperCase(Locale.ROOT));
            }
            return out;
        }

        /** The attributes after the EHLO keyword XCLIENT (empty if none listed), or null if absent. */
        Set<String> xclientAttributes() {
            for (String line : lines.subList(1, lines.size())) { // line 1 is the server's name
                String[] words = line.substring(Math.min(4, line.length())).trim().split(" +");
                if (words[0].equalsIgnoreCase("XCLIENT")) {
                    List<String> attrs = new ArrayList<>();
                    for (int i = 1; i < words.length; i++) attrs.add(words[i].toUpperCase(Locale.ROOT));
                    return Set.copyOf(attrs);
                }
            }
            return null;
        }

        /** The last line, safe for a log. */
        @Override
        public String toString() {
            return LogSafe.text(lines.get(lines.size() - 1));
        }
    }
}
