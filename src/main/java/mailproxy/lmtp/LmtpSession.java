package mailproxy.lmtp;

import static mailproxy.envelope.SmtpFamilyReplies.line;
import static mailproxy.envelope.SmtpFamilyReplies.multiLine;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import mailproxy.config.LmtpOptions;
import mailproxy.envelope.SmtpFamilyReplies;
import mailproxy.session.Answer;
import mailproxy.session.Outcome;
import mailproxy.session.ProtocolSession;
import mailproxy.session.Replies;
import mailproxy.session.Session;
import mailproxy.wire.Addresses;
import mailproxy.wire.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One LMTP client (RFC 2033), an MTA delivering mail: not a login but a delivery router.
 * Each RCPT is routed by its address through the listener's router and the pools; the
 * recipients of one transaction may land on several backends, each getting a transaction
 * of its own ({@link Transaction}); after DATA the client gets one reply per accepted
 * recipient in RCPT order ({@link Delivery}). No relay: the proxy speaks LMTP on both
 * sides until the client quits.
 *
 * <p>Not offered: CHUNKING/BDAT (RFC 3030), DSN, SMTPUTF8; AUTH (LMTP has none: who may
 * deliver is decided by lmtp-clients and where the listener listens).
 */
public final class LmtpSession implements ProtocolSession {
    private static final Logger log = LoggerFactory.getLogger(LmtpSession.class);
    private final Session session;
    private final Connection client;
    /** The client's LHLO name, or null before LHLO (RFC 2033 §4.1: required first). */
    private String lhlo;
    private LmtpCommand.Mail mail;
    private Transaction transaction;
    private final Replies replies;

    public LmtpSession(Session session) {
        this.session = session;
        this.client = session.client();
        this.replies = LmtpReplies.endings(session.serverName());
    }

    @Override
    public Replies replies() { return replies; }

    /**
     * lmtp-clients: LMTP has no AUTH, so whoever may connect may deliver. Behind a trusted
     * proxy the client its PROXY header names is the one checked. On an implicit-TLS
     * listener this is asked before the handshake, and a refused client is closed without one.
     */
    @Override
    public boolean admits() {
        InetAddress from = session.clientAddress().getAddress();
        if (session.listener().options(LmtpOptions.class).clients().contains(from)) return true;
        log.info("lmtp id={}: {} is not in lmtp-clients of listener {}: refused", session.sessionId(),
                Addresses.hostPort(session.clientAddress()), session.listener().name());
        return false;
    }

    /**
     * The greeting, to those in lmtp-clients only. Anyone else gets 421 (RFC 5321 §3.1: the
     * server may refuse the connection; 421 says "closing", and a misdirected MTA keeps its
     * mail queued) and the close.
     */
    @Override
    public boolean greet() throws IOException {
        if (!admits()) {
            client.write(line(LmtpReplies.notAClient(session.serverName())));
            session.outcome(Outcome.REJECTED);
            return false;
        }
        client.write(line(LmtpReplies.greeting(session.serverName())));
        return true;
    }

    @Override
    public Answer next() throws IOException, InterruptedException {
        String line = session.readLine();
        // RFC 5321 §4.1.1.4: a server "MUST NOT" take LF alone as a line end; refused
        // unrun, or taken as CRLF where the listener says lmtp-bare-newline = normalize
        if (client.lastLineBareLf() && session.listener().options(LmtpOptions.class).bareNewline() == LmtpOptions.BareNewline.REJECT) {
            return error(LmtpReplies.BARE_LF_COMMAND);
        }
        return handle(LmtpCommand.parse(line));
    }

    /** Ended by the command loop (max-errors) or by what a command threw: the transaction's legs go. */
    @Override
    public void abort() { reset(); }

    private Answer handle(LmtpCommand command) throws IOException, InterruptedException {
        switch (command) {
            case LmtpCommand.Lhlo l -> {
                // RFC 2033 §4.1 / RFC 5321 §4.1.4: LHLO also resets a transaction in progress
                reset();
                lhlo = l.domain();
                client.write(lhloReply());
            }
            case LmtpCommand.HeloEhlo h -> {
                return error(LmtpReplies.USE_LHLO);
            }
            case LmtpCommand.StartTls s -> {
                if (session.secure()) return error(SmtpFamilyReplies.ALREADY_TLS);
                if (!session.canStartTls()) return error(SmtpFamilyReplies.NOT_IMPLEMENTED);
                client.write(line(SmtpFamilyReplies.READY_FOR_TLS));
                session.startTls();
                // RFC 3207 §4.2: discard all knowledge from the client; it must LHLO again
                reset();
                lhlo = null;
            }
            case LmtpCommand.Mail m when session.tlsRequired() -> {
                return error(SmtpFamilyReplies.TLS_FIRST);
            }
            case LmtpCommand.Rcpt r when session.tlsRequired() -> {
                return error(SmtpFamilyReplies.TLS_FIRST);
            }
            case LmtpCommand.Mail m -> {
                if (lhlo == null) return error(LmtpReplies.LHLO_FIRST);
                if (mail != null) return error(SmtpFamilyReplies.NESTED_MAIL);
                if (m.size() > session.listener().options(LmtpOptions.class).maxMessageSize()) return error(SmtpFamilyReplies.SIZE_EXCEEDED);
                mail = m;
                transaction = new Transaction(session, lhlo, m);
                client.write(line(SmtpFamilyReplies.SENDER_OK));
            }
            case LmtpCommand.Rcpt r -> {
                if (mail == null) return error(SmtpFamilyReplies.NEED_MAIL);
                client.write(transaction.rcpt(r));
            }
            case LmtpCommand.Data d -> {
                if (mail == null) return error(SmtpFamilyReplies.NEED_MAIL);
                try {
                    new Delivery(session, transaction).run();
                } finally {
                    reset();
                }
            }
            case LmtpCommand.Rset r -> {
                reset();
                client.write(line(SmtpFamilyReplies.OK));
            }
            case LmtpCommand.Noop n -> client.write(line(SmtpFamilyReplies.OK));
            case LmtpCommand.Quit q -> {
                reset();
                client.write(line(SmtpFamilyReplies.BYE));
                session.outcome(Outcome.QUIT);
                return Answer.END;
            }
            case LmtpCommand.Vrfy v -> client.write(line(SmtpFamilyReplies.CANNOT_VRFY));
            case LmtpCommand.Bdat b -> {
                // CHUNKING is not announced; BDAT's chunk bytes follow on the line, so the
                // stream cannot be kept in step: answer and close
                client.write(line(SmtpFamilyReplies.NOT_IMPLEMENTED));
                session.outcome(Outcome.PROTOCOL_ERROR);
                return Answer.END;
            }
            case LmtpCommand.Invalid i -> {
                return error(i.reply());
            }
            case LmtpCommand.Unknown u -> {
                return error(SmtpFamilyReplies.UNRECOGNIZED);
            }
        }
        return Answer.DONE;
    }

    /** The transaction ends: its backend connections are closed. */
    private void reset() {
        mail = null;
        Transaction t = transaction;
        transaction = null;
        if (t != null) t.close();
    }

    /** RFC 2033 §4.1: LHLO is answered like EHLO (RFC 5321 §4.1.1.1). */
    private String lhloReply() {
        List<String> lines = new ArrayList<>();
        lines.add(session.serverName());
        lines.add("PIPELINING"); // RFC 2920; required of LMTP servers by RFC 2033 §5
        lines.add("ENHANCEDSTATUSCODES"); // RFC 2034; also required by RFC 2033 §5
        lines.add("8BITMIME"); // the message passes unchanged
        lines.add("SIZE " + session.listener().options(LmtpOptions.class).maxMessageSize()); // RFC 1870
        if (session.canStartTls()) lines.add("STARTTLS");
        return multiLine(250, lines);
    }

    /** An error reply, counted toward max-errors by the command loop (then 421 and close). */
    private static Answer error(String reply) {
        return Answer.error(line(reply));
    }
}
