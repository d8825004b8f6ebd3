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
 * <p>Used from the one thread that reads this direction.
 */
final class RelayView {
    private final SessionTrace trace;
    private final Redactor redactor;
    private final boolean fromClient;
    private final int budget;
    private int shown;
    /** The line begun in the last read, shown once it ends (or the budget does). */
    private final StringBuilder partial = new StringBuilder();
    /** Bytes of a literal still to come. */
    private long literal;
    /** The line being assembled continues a command after a literal. */
    private boolean afterLiteral;

    RelayView(SessionTrace trace, Redactor redactor, boolean fromClient, int budget) {
        this.trace = trace;
        this.redactor = redactor;
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
        trace.event("relay", (fromClient ? "client" : "backend") + " side: trace-relay-bytes shown");
        return false;
    }

    private void take(char c) {
        if (literal > 0) {
            literal--;
            if (!fromClient) {
                // the server's literal: the user's mail, shown line by line as it is
                if (c == '\n') emit(partial.toString(), false);
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
        String text = partial.toString();
        partial.setLength(0);
        boolean after = afterLiteral;
        afterLiteral = false;
        String raw = text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
        emit(fromClient ? redactor.client(raw, after) : raw, after && fromClient);
        if (!fromClient) redactor.server(raw, after);
        long n = Redactor.literalAtEnd(raw);
        if (n == 0) afterLiteral = true;
        else if (n > 0) literal = n;
    }

    private void emit(String text, boolean literalBefore) {
        String t = text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
        trace.emit("relay " + (fromClient ? "C: " : "S: ") + Leg.safe(literalBefore ? Redactor.HIDDEN + t : t));
    }
}
