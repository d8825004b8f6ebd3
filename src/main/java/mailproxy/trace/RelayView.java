package mailproxy.trace;

/**
 * What one direction of the relay shows, at most trace-relay-bytes of it: its lines, with
 * the same redaction as before the login, since a client may log in again or run SASL
 * there (an IMAP LOGIN the backend refuses, SMTP AUTH on the relayed connection).
 * Literals are followed across lines as the client's {@link Redactor} follows them: the
 * content of a literal the client sends is never shown (a password, or a message being
 * appended), the line after it is the rest of the same command. The server's lines and
 * literals (the user's mail) are shown as they are, and its lines, but not its literal
 * contents, tell the redactor when a SASL exchange ends.
 *
 * <p>A synchronizing literal ({@code {n}}) comes only after the server's "+" (RFC 9051
 * §7.5); a server that refuses it answers NO or BAD and the client's next bytes are its
 * next command. Counting n bytes as a literal then would put the view out of step with
 * the commands (a LOGIN among the skipped bytes, its password on the line where the view
 * thinks a harmless command goes on), so the client's side takes the literal only when
 * the server's side has seen a "+" since it was announced, or no longer sees the server's
 * lines. Without that, the next line is what {@link Redactor} hides after a literal
 * announced in a secret place and not sent.
 *
 * <p>Each view is used from the one thread that reads its direction; they share
 * {@link Shared}, whose flags the server's thread writes before the client can answer.
 */
final class RelayView {
    /** What the two directions of one session's relay share. */
    static final class Shared {
        /** The relay's one redactor: client lines through it, server lines end its SASL. */
        final Redactor redactor = new Redactor();
        /** The server said "+" since the client announced a synchronizing literal. */
        volatile boolean continuation;
        /** The server's side spent its budget: its lines are not seen any more. */
        volatile boolean serverUnseen;
    }

    private final SessionTrace trace;
    private final Shared shared;
    private final boolean fromClient;
    private final int budget;
    private int shown;
    /** The line begun in the last read, shown once it ends (or the budget does). */
    private final LineBuffer partial = new LineBuffer();
    /** Bytes of a literal still to come. */
    private long literal;
    /** A synchronizing literal announced: its size, until the next byte shows whether it came. */
    private long announced;
    /** The line being assembled continues a command after a literal. */
    private boolean afterLiteral;

    RelayView(SessionTrace trace, Shared shared, boolean fromClient, int budget) {
        this.trace = trace;
        this.shared = shared;
        this.fromClient = fromClient;
        this.budget = budget;
    }

    /** @return false once the budget is spent (the relay then stops asking) */
    boolean relayed(byte[] b, int off, int len) {
        int n = Math.min(len, budget - shown);
        if (n <= 0) return false;
        shown += n;
        for (int i = off; i < off + n; i++) take((char) (b[i] & 0xff));
        if (shown < budget) return true;
        if (literal > 0 && fromClient) afterLiteral = true; // cut inside a literal: show that one came
        if (!partial.isEmpty() || afterLiteral) line();
        if (!fromClient) shared.serverUnseen = true;
        trace.event("relay", (fromClient ? "client" : "backend") + " side: trace-relay-bytes shown");
        return false;
    }

    private void take(char c) {
        if (announced > 0) {
            // the first byte after a synchronizing literal's line: did the server ask for it?
            if (shared.continuation || shared.serverUnseen) literal = announced;
            announced = 0;
        }
        if (literal > 0) {
            literal--;
            if (!fromClient) {
                // the server's literal: the user's mail, shown line by line as it is
                if (c == '\n') emit(partial.take().text(), false);
                else partial.append(c);
            }
            if (literal == 0) afterLiteral = true;
            return;
        }
        if (c == '\n') line();
        else partial.append(c);
    }

    /** One line ends: shown (the client's redacted), then its literal, if it announces one, is awaited. */
    private void line() {
        LineBuffer.Line line = partial.take();
        boolean after = afterLiteral;
        afterLiteral = false;
        String raw = line.text();
        emit(fromClient ? shared.redactor.client(raw, after) : raw, after && fromClient);
        if (!fromClient) {
            shared.redactor.server(raw, after);
            if (raw.startsWith("+")) shared.continuation = true;
        }
        long n = line.literal();
        if (n == 0) {
            afterLiteral = true;
        } else if (n > 0 && fromClient && !line.nonSync()) {
            shared.continuation = false; // this line reaches the server only after this (Relay: tap first)
            announced = n;
        } else if (n > 0) {
            literal = n;
        }
    }

    private void emit(String text, boolean literalBefore) {
        trace.emit("relay " + (fromClient ? "C: " : "S: ") + Leg.safe(literalBefore ? Redactor.HIDDEN + text : text));
    }
}
