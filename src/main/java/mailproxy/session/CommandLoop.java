package mailproxy.session;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.function.Predicate;
import mailproxy.wire.Connection;
import mailproxy.wire.LineTooLongException;

/**
 * The one command loop of every protocol (docs/ARCHITECTURE.md, "The connection story"):
 * the greeting, then one command after the other until an answer ends the session. The
 * policies every protocol shares live here once: limits.max-errors (an invalid command and
 * a refused login count alike; the one that reaches the limit is still answered, then the
 * protocol's too-many-errors reply, or none, and the close), and the endings of the input
 * (end of stream, an overlong line, a timeout), which mean the same wherever they happen,
 * between commands or inside an AUTH exchange.
 */
public final class CommandLoop {
    private CommandLoop() {}

    /** Runs {@code p} for {@code session} until the session is over (a test's fake session, too). */
    public static void run(Session session, ProtocolSession p) throws IOException, InterruptedException {
        run(session, p, e -> false);
    }

    /**
     * Runs {@code p} for {@code session} until the session is over.
     *
     * @param inSasl whether an exception ended the session's SASL exchange (an overlong line there has its own reply)
     */
    static void run(Session session, ProtocolSession p, Predicate<IOException> inSasl)
            throws IOException, InterruptedException {
        Connection client = session.client();
        client.readTimeout(session.limits().timeout());
        if (!p.greet()) return;
        Replies replies = p.replies();
        try {
            commands(session, p, replies);
        } catch (EOFException e) {
            session.outcome(Outcome.CLIENT_CLOSED);
        } catch (LineTooLongException e) {
            client.write(inSasl.test(e) ? replies.saslLineTooLong() : replies.lineTooLong());
            session.outcome(Outcome.LINE_TOO_LONG);
            if (replies.lingerOnClose()) Linger.close(client);
        } catch (SocketTimeoutException e) {
            // the same reply whichever ran out: this command's time or the login's lifetime
            session.outcome(client.lifetimeOver() ? Outcome.LOGIN_TIMEOUT : Outcome.TIMEOUT);
            client.write(replies.timeout());
        }
    }

    private static void commands(Session session, ProtocolSession p, Replies replies) throws IOException, InterruptedException {
        int errors = 0;
        int maxErrors = session.limits().maxErrors();
        try {
            while (true) {
                String reply;
                switch (p.next()) {
                    case Answer.Done d -> { continue; }
                    case Answer.End e -> { return; }
                    case Answer.Error e -> reply = e.reply();
                    case Answer.LoginRefused r -> reply = ""; // its reply is the backend's, sent already
                }
                if (++errors < maxErrors) {
                    if (!reply.isEmpty()) session.client().write(reply);
                    continue;
                }
                // nginx's behaviour: the error that reaches the limit is answered, then the close
                // (RFC 5321 §3.8, RFC 9051 §7.1.5: a server closing on its own says so first)
                String last = reply + replies.tooManyErrors();
                if (!last.isEmpty()) session.client().write(last);
                session.outcome(Outcome.TOO_MANY_ERRORS);
                p.abort();
                if (replies.lingerOnClose()) Linger.close(session.client());
                return;
            }
        } catch (IOException | RuntimeException | InterruptedException e) {
            p.abort();
            throw e;
        }
    }
}
