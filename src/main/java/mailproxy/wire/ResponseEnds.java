package mailproxy.wire;

/**
 * Where a backend's responses end, followed byte by byte in the relay's backend-to-client
 * direction, so that a line of the proxy's own (a kick's {@code * BYE}, README "Moving
 * users") goes between two responses and never inside one: a client reading a literal
 * would take it for the literal's bytes.
 *
 * <p>{@link Syntax#LITERALS} (IMAP, RFC 9051 §4.3; ManageSieve, RFC 5804 §4): a response is
 * lines, and a line that ends in {@code {n}} CRLF (or {@code {n+}}, {@code ~{n}}) goes on
 * after n bytes of literal. {@link Syntax#CONTINUED_LINES} (SMTP, RFC 5321 §4.2.1): a reply
 * is lines, and a line whose code is followed by "-" has another after it.
 *
 * <p>Cheap on bulk data: a literal's bytes are skipped by count, not looked at. Used by one
 * thread; {@link #atEnd()} may be read by any.
 */
public final class ResponseEnds {
    /** The two ways the protocols here end a response. */
    public enum Syntax { LITERALS, CONTINUED_LINES }

    private static final long MAX_LITERAL = Long.MAX_VALUE / 16;

    private final Syntax syntax;
    /** Bytes of a literal still to come. */
    private long literal;
    /** LITERALS: 0 nothing, 1 inside "{digits", 2 after "}" (CR may follow), with {@link #number}. */
    private int brace;
    private long number;
    /** CONTINUED_LINES: bytes of the current line so far (counted up to 4), and whether its 4th is "-". */
    private int column;
    private boolean continued;
    /** Published after each {@link #feed}: the bytes so far end a whole response. */
    private volatile boolean atEnd = true;

    /** Starts at the end of a response: the relay begins after the backend's answer to the login. */
    public ResponseEnds(Syntax syntax) {
        this.syntax = syntax;
    }

    /** True when every byte fed so far belongs to a finished response. */
    public boolean atEnd() { return atEnd; }

    /**
     * Follows {@code len} bytes and says how many of them to pass on: all of them, or with
     * {@code stop} only those up to the first end of a response (0 when the bytes before
     * them ended one already). The state then stands where the count ends.
     */
    public int feed(byte[] b, int off, int len, boolean stop) {
        boolean end = atEnd;
        if (stop && end) return 0;
        int i = off;
        int limit = off + len;
        while (i < limit) {
            if (literal > 0) {
                int k = (int) Math.min(literal, limit - i);
                literal -= k;
                i += k;
                end = false; // the line goes on after its literal
                continue;
            }
            byte c = b[i++];
            if (c == '\n') {
                end = lineEnded();
                if (stop && end) {
                    atEnd = true;
                    return i - off;
                }
                continue;
            }
            end = false;
            if (syntax == Syntax.LITERALS) literalByte(c);
            else if (column < 4 && ++column == 4) continued = c == '-';
        }
        atEnd = end;
        return len;
    }

    /** A line's LF: the response ends here unless a literal or another line of the reply follows. */
    private boolean lineEnded() {
        if (syntax == Syntax.LITERALS) {
            boolean opens = brace == 2;
            brace = 0;
            if (opens) {
                literal = number;
                return false; // even {0}: the line goes on after it
            }
            return true;
        }
        boolean more = continued;
        column = 0;
        continued = false;
        return !more;
    }

    private void literalByte(byte c) {
        if (c == '{') {
            brace = 1;
            number = 0;
        } else if (brace == 1 && c >= '0' && c <= '9') {
            number = Math.min(number * 10 + (c - '0'), MAX_LITERAL);
        } else if (brace == 1 && c == '+') {
            // a non-synchronizing literal (RFC 7888) keeps the brace open
        } else if (brace == 1 && c == '}') {
            brace = 2;
        } else if (!(brace == 2 && c == '\r')) {
            brace = 0;
        }
    }
}
