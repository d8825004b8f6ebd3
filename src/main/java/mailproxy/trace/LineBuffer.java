package mailproxy.trace;

/**
 * One line being assembled from written or relayed bytes: at most {@link Leg#MAX_SHOWN}
 * characters are kept (a trace line shows no more), the rest is counted, and its last few
 * characters are kept apart so that a literal's size at the end of a long line is still
 * seen. So a peer that sends a long line without a line end costs the trace no more than
 * a line it shows.
 */
final class LineBuffer {
    /** Characters kept of a line's end past MAX_SHOWN: enough for a literal's "{n+}". */
    private static final int TAIL = 24;

    /**
     * A finished line: its text as shown (without CR; a count for what was cut), the size
     * of the literal it announces (-1: none), and whether that one is non-synchronizing.
     */
    record Line(String text, long literal, boolean nonSync) {}

    private final StringBuilder kept = new StringBuilder();
    private final StringBuilder tail = new StringBuilder();
    private long dropped;

    void append(char c) {
        if (kept.length() < Leg.MAX_SHOWN) {
            kept.append(c);
            return;
        }
        dropped++;
        tail.append(c);
        if (tail.length() > 2 * TAIL) tail.delete(0, TAIL);
    }

    boolean isEmpty() { return kept.isEmpty(); }

    /** The line so far, and empties the buffer. */
    Line take() {
        String end = dropped > 0 ? tail.toString() : kept.toString();
        if (end.endsWith("\r")) end = end.substring(0, end.length() - 1);
        String text = dropped > 0 ? kept + " [" + dropped + " more bytes]" : end;
        Line line = new Line(text, Redactor.literalAtEnd(end), end.endsWith("+}"));
        kept.setLength(0);
        tail.setLength(0);
        dropped = 0;
        return line;
    }
}
