package mailproxy.lmtp;

import static mailproxy.envelope.SmtpFamilyReplies.line;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import mailproxy.config.LmtpOptions;
import mailproxy.envelope.SmtpFamilyReplies;
import mailproxy.session.Session;
import mailproxy.wire.Addresses;
import mailproxy.wire.Connection;
import mailproxy.wire.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DATA for one transaction (RFC 2033 §4.2): the client's message goes to every backend
 * that accepted a recipient, and the client gets one reply per accepted recipient, in RCPT
 * order, each as its backend answered. With one backend the message streams through as it
 * arrives; with several it is read once into a {@link Spool} (memory, then a temporary
 * file) and then sent to each. A backend that fails gets 4xx for its recipients only, so
 * the client retries just those: nothing is lost, nothing delivered twice.
 */
final class Delivery {
    private static final Logger log = LoggerFactory.getLogger(Delivery.class);

    private final Session session;
    private final Connection client;
    private final Transaction t;
    private final LmtpOptions limits;
    private final int maxLine;
    /** One reply per accepted recipient, filled as backends answer. */
    private final Reply[] replies;

    Delivery(Session session, Transaction t) {
        this.session = session;
        this.client = session.client();
        this.t = t;
        this.limits = session.listener().options(LmtpOptions.class);
        this.maxLine = session.limits().backendLineLength();
        this.replies = new Reply[t.accepted().size()];
    }

    /** Runs DATA to its end: the client has its replies (or DATA's one reply) when this returns. */
    void run() throws IOException {
        if (replies.length == 0) {
            client.write(line(LmtpReplies.NO_VALID_RCPT));
            return;
        }
        List<Leg> live = new ArrayList<>();
        for (Leg leg : t.legs()) {
            if (leg.recipients.isEmpty()) continue;
            if (leg.live()) live.add(leg);
            else fill(leg, Reply.of(LmtpReplies.BACKEND_FAILED));
        }
        if (live.isEmpty()) {
            // every backend with a recipient broke before DATA: one temporary failure for all
            client.write(line(LmtpReplies.BACKEND_FAILED));
            return;
        }
        if (live.size() == 1) stream(live.get(0));
        else spooled(live);
        StringBuilder out = new StringBuilder();
        for (Reply r : replies) out.append(r.text());
        client.write(out.toString());
        log.info("lmtp id={} delivered {} recipient(s) over {} backend(s): {}", session.sessionId(), replies.length,
                live.size(), summary());
    }

    /** One backend: DATA there first, then the message goes through as it arrives. */
    private void stream(Leg leg) throws IOException {
        Reply go = data(leg);
        boolean othersBroke = leg.recipients.size() < replies.length;
        if (go == null || go.code() != 354) {
            Reply refusal = go != null ? go : Reply.of(LmtpReplies.BACKEND_FAILED);
            if (!othersBroke) {
                // the backend's answer to DATA is the answer to the client's DATA
                client.write(refusal.text());
                java.util.Arrays.fill(replies, refusal);
                return;
            }
            // others broke earlier: read the message anyway so each recipient gets its own answer
            client.write(line(LmtpReplies.START_DATA));
            MessageReader.Result m = read((b, o, n) -> { });
            fill(leg, m.oversize() || m.bareNewline() ? refused(m) : refusal);
            return;
        }
        client.write(line(LmtpReplies.START_DATA));
        Connection b = leg.connection();
        MessageReader.Result m = read(b::write);
        if (m.oversize() || m.bareNewline()) {
            // part of the message is at the backend: closing without the final "." makes it drop it
            leg.abort(m.oversize() ? "message over lmtp-max-message-size" : "bare line end in the message");
            fillAll(refused(m));
            return;
        }
        if (m.sinkFailure() != null) {
            leg.brokeOnClientInput("sending the message: " + m.sinkFailure());
            fill(leg, Reply.of(LmtpReplies.BACKEND_FAILED));
            return;
        }
        finish(leg);
    }

    /** Several backends: the message is read once, kept, then sent to each in turn. */
    private void spooled(List<Leg> live) throws IOException {
        client.write(line(LmtpReplies.START_DATA));
        try (Spool spool = new Spool(limits.memoryBuffer(), limits.tempDir())) {
            MessageReader.Result m = read(spool::write);
            if (!m.whole()) {
                if (m.oversize() || m.bareNewline()) {
                    fillAll(refused(m));
                } else {
                    log.warn("lmtp id={}: cannot keep the message: {}", session.sessionId(), m.sinkFailure().toString());
                    fillAll(Reply.of(LmtpReplies.CANNOT_STORE));
                }
                return;
            }
            for (Leg leg : live) {
                Reply go = data(leg);
                if (go == null) {
                    fill(leg, Reply.of(LmtpReplies.BACKEND_FAILED));
                    continue;
                }
                if (go.code() != 354) {
                    fill(leg, go);
                    continue;
                }
                IOException failure = null;
                try {
                    spool.copyTo(leg.connection()::write, MessageReader.CHUNK);
                } catch (IOException e) {
                    failure = e;
                }
                if (failure != null) {
                    leg.brokeOnClientInput("sending the message: " + failure);
                    fill(leg, Reply.of(LmtpReplies.BACKEND_FAILED));
                    continue;
                }
                finish(leg);
            }
        }
    }

    /** The client's message, to {@code sink}, within the listener's limits and line-end rule. */
    private MessageReader.Result read(Spool.Sink sink) throws IOException {
        MessageReader.Result m = MessageReader.read(client, limits.lineLength(), limits.maxMessageSize(), limits.bareNewline(), sink);
        if (m.bareNewline()) {
            log.info("lmtp id={}: bare <LF> or <CR> in the message from {}: refused (lmtp-bare-newline = reject)",
                    session.sessionId(), Addresses.hostPort(session.clientAddress()));
        }
        return m;
    }

    /** The proxy's own refusal of a message it read whole but will not deliver. */
    private static Reply refused(MessageReader.Result m) {
        return Reply.of(m.oversize() ? SmtpFamilyReplies.SIZE_EXCEEDED : LmtpReplies.BARE_NEWLINE);
    }

    /** DATA to one backend; its reply, or null when the connection broke. */
    private Reply data(Leg leg) {
        try {
            return Reply.send(leg.connection(), "DATA", maxLine);
        } catch (IOException e) {
            leg.broke("DATA: " + e);
            return null;
        }
    }

    /**
     * The final "." and the backend's replies, one per recipient it accepted (RFC 2033 §4.2).
     * If it breaks halfway, the recipients it has not answered for get 4xx: those it did
     * answer keep their answer (they are delivered, or refused, for good).
     */
    private void finish(Leg leg) {
        int i = 0;
        try {
            leg.connection().write(MessageReader.END);
            for (; i < leg.recipients.size(); i++) replies[leg.recipients.get(i)] = Reply.read(leg.connection(), maxLine);
        } catch (IOException e) {
            leg.brokeOnClientInput("after the message: " + e);
            for (; i < leg.recipients.size(); i++) replies[leg.recipients.get(i)] = Reply.of(LmtpReplies.BACKEND_FAILED);
        }
    }

    private void fill(Leg leg, Reply r) {
        for (int i : leg.recipients) replies[i] = r;
    }

    private void fillAll(Reply r) {
        for (int i = 0; i < replies.length; i++) if (replies[i] == null || replies[i].positive()) replies[i] = r;
    }

    private String summary() {
        StringBuilder b = new StringBuilder();
        for (Leg leg : t.legs()) {
            if (leg.recipients.isEmpty()) continue;
            if (b.length() > 0) b.append(", ");
            b.append(leg.name()).append(':');
            for (int i : leg.recipients) b.append(' ').append(replies[i].code());
        }
        return LogSafe.text(b.toString());
    }
}
