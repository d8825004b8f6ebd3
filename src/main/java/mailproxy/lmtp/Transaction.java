package mailproxy.lmtp;

import static mailproxy.envelope.SmtpFamilyReplies.line;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import mailproxy.config.Backend;
import mailproxy.config.LmtpOptions;
import mailproxy.config.Protocol;
import mailproxy.route.LoginRequest;
import mailproxy.route.PoolServer;
import mailproxy.route.Route;
import mailproxy.session.Backends;
import mailproxy.session.Replies;
import mailproxy.session.Session;
import mailproxy.wire.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mail transaction of the client, MAIL to the end of DATA, spread over backends: each
 * RCPT is routed by its address (auth_http: Auth-Method none, Auth-SMTP-To, as SMTP MX
 * mode), the recipient's pool picks the server, and each server gets one LMTP transaction
 * of its own with the client's MAIL and the RCPTs routed to it. The backend's answer to
 * each RCPT is the client's answer.
 */
final class Transaction implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Transaction.class);

    private final Session session;
    private final String lhlo;
    private final LmtpCommand.Mail mail;
    /** Open legs by server ("host:port"): recipients on one server share its transaction. */
    private final Map<String, Leg> legs = new LinkedHashMap<>();
    /** The accepted recipients in RCPT order: the leg each went to. */
    private final List<Leg> accepted = new ArrayList<>();
    private int rcpts;

    Transaction(Session session, String lhlo, LmtpCommand.Mail mail) {
        this.session = session;
        this.lhlo = lhlo;
        this.mail = mail;
    }

    List<Leg> accepted() { return accepted; }

    Iterable<Leg> legs() { return legs.values(); }

    /** The reply to one RCPT, whole (CRLF included). */
    String rcpt(LmtpCommand.Rcpt r) throws IOException, InterruptedException {
        if (++rcpts > session.listener().options(LmtpOptions.class).maxRecipients()) return line(LmtpReplies.TOO_MANY_RCPT);
        Route route = session.backends().route(new LoginRequest.SmtpFacts(lhlo, mail.line(), r.line()));
        switch (route) {
            case Route.Reject reject -> {
                String code = reject.smtpCode() == null || reject.smtpCode().isBlank()
                        ? LmtpReplies.RCPT_REJECT_CODE : reject.smtpCode().trim();
                return line(LogSafe.oneLine(code + " " + reject.message()));
            }
            case Route.Unavailable u -> {
                log.warn("no route for recipient {}: {}", LogSafe.value(r.address()), u.reason());
                return line(LmtpReplies.ROUTER_UNAVAILABLE);
            }
            case Route.Ok ok -> {
                Leg leg = leg(ok, r.address().toLowerCase(Locale.ROOT));
                if (leg == null) return line(LmtpReplies.BACKEND_UNAVAILABLE);
                return send(leg, r);
            }
        }
    }

    /** The RCPT on the recipient's leg; a refused MAIL there is the answer for every recipient routed to it. */
    private String send(Leg leg, LmtpCommand.Rcpt r) {
        if (!leg.live()) return line(LmtpReplies.BACKEND_FAILED);
        if (leg.mailRefused != null) return leg.mailRefused.text();
        Reply reply;
        try {
            reply = Reply.send(leg.connection(), r.line(), session.limits().backendLineLength());
        } catch (IOException e) {
            leg.brokeOnClientInput("RCPT: " + e);
            return line(LmtpReplies.BACKEND_FAILED);
        }
        if (reply.positive()) {
            leg.recipients.add(accepted.size());
            accepted.add(leg);
        }
        return reply.text();
    }

    /**
     * The leg of the first server of the pool's candidates that is open already or can be
     * opened (connect, 220, LHLO, [STARTTLS], MAIL). A server that fails before MAIL is
     * marked and the next candidate tried (nothing was delivered there); null when none.
     */
    private Leg leg(Route.Ok ok, String routingKey) {
        List<PoolServer> candidates = ok.pool().candidates(routingKey, Protocol.LMTP);
        for (PoolServer server : candidates) {
            String key = server.target(Protocol.LMTP).toString().toLowerCase(Locale.ROOT);
            Leg leg = legs.get(key);
            if (leg != null) return leg;
            leg = open(server);
            if (leg != null) {
                legs.put(key, leg);
                return leg;
            }
        }
        if (candidates.isEmpty()) log.warn("pool {} has no server for lmtp that takes new sessions", ok.pool().name());
        return null;
    }

    private Leg open(PoolServer server) {
        Backends.Opened o;
        try {
            o = session.backends().open(server);
        } catch (SocketTimeoutException e) {
            return null; // marked and logged by open()
        } catch (IOException e) {
            return null;
        }
        int max = session.limits().backendLineLength();
        try {
            Reply r = Reply.read(o.connection(), max);
            if (r.code() != 220) return refuse(o, "greeting: " + r);
            r = Reply.send(o.connection(), "LHLO " + lhlo, max);
            if (!r.positive()) return refuse(o, "LHLO refused: " + r);
            Reply hello = r;
            if (o.target().options().tls(Protocol.LMTP) == Backend.Tls.STARTTLS) {
                r = Reply.send(o.connection(), "STARTTLS", max);
                if (r.code() != 220) return refuse(o, "STARTTLS refused: " + r);
                session.backends().upgrade(o.connection(), o.target());
                // RFC 3207 §4.2: the server forgets the LHLO; say it again under TLS
                r = Reply.send(o.connection(), "LHLO " + lhlo, max);
                if (!r.positive()) return refuse(o, "LHLO after STARTTLS refused: " + r);
                hello = r;
            }
            o.succeeded();
            Leg leg = new Leg(o);
            r = Reply.send(o.connection(), forBackend(mail.line(), keywords(hello)), max);
            if (!r.positive()) leg.mailRefused = r;
            return leg;
        } catch (IOException e) {
            return refuse(o, e.toString());
        }
    }

    /**
     * The client's MAIL line for one backend. The client may use the parameters the proxy
     * announced (SIZE, RFC 1870; BODY, RFC 6152); a backend that does not announce them
     * would refuse the MAIL (RFC 5321 §4.1.1.11: 555), so they are left out there. The
     * message passes unchanged either way. Everything else goes as the client sent it.
     */
    static String forBackend(String mailLine, Set<String> keywords) {
        int gt = mailLine.indexOf('>');
        if (gt < 0) return mailLine;
        StringBuilder b = new StringBuilder(mailLine.substring(0, gt + 1));
        for (String param : mailLine.substring(gt + 1).split(" ")) {
            if (param.isEmpty()) continue;
            String key = param.split("=", 2)[0].toUpperCase(Locale.ROOT);
            if (key.equals("SIZE") && !keywords.contains("SIZE")) continue;
            if (key.equals("BODY") && !keywords.contains("8BITMIME")) continue;
            b.append(' ').append(param);
        }
        return b.toString();
    }

    /** The EHLO keywords of an LHLO reply (RFC 5321 §4.1.1.1: each line after the first), upper-case. */
    static Set<String> keywords(Reply hello) {
        Set<String> out = new HashSet<>();
        String[] lines = hello.text().split(Replies.CRLF);
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].length() > 4) out.add(lines[i].substring(4).split(" ")[0].toUpperCase(Locale.ROOT));
        }
        return out;
    }

    private static Leg refuse(Backends.Opened o, String reason) {
        o.failed(reason);
        o.close();
        return null;
    }

    /** Every leg ends (QUIT); the transaction is over. */
    @Override
    public void close() {
        for (Leg leg : legs.values()) leg.close();
        legs.clear();
    }
}
