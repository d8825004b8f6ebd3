package mailproxy.trace;

import java.nio.charset.StandardCharsets;
import mailproxy.wire.Connection;

/**
 * One connection's side of a {@link SessionTrace}: turns reads and writes into C:/S:
 * lines. The client side's lines go through the {@link Redactor}; literals never show.
 * Lines are read on the session's thread; in the relay each leg's reads come from one
 * thread of their own.
 */
final class Leg implements Connection.Tap {
    /** Longest line shown; the rest is counted. */
    static final int MAX_SHOWN = 1000;

    private final SessionTrace trace;
    private final String name;
    /** True on the client connection: the proxy is the server there, its writes are S:. */
    private final boolean proxyIsServer;
    private final int relayBytes;
    private final Redactor redactor = new Redactor();
    /** The line being written, assembled from write calls. */
    private final StringBuilder writing = new StringBuilder();
    private int writingDropped;
    /** Bytes of a literal still to come in the writes, shown as ***. */
    private long writeLiteral;
    /** A literal was read: the next line read continues after it. */
    private boolean readAfterLiteral;
    private int relayShown;
    /** The relayed line begun in the last read, shown once it ends (or the budget does). */
    private final StringBuilder relayPartial = new StringBuilder();

    Leg(SessionTrace trace, String name, boolean proxyIsServer, int relayBytes) {
        this.trace = trace;
        this.name = name;
        this.proxyIsServer = proxyIsServer;
        this.relayBytes = relayBytes;
    }

    /** A new backend connection (failover): nothing carries over from the last one. */
    void reset() {
        writing.setLength(0);
        writingDropped = 0;
        writeLiteral = 0;
        readAfterLiteral = false;
    }

    @Override
    public void lineRead(String line) {
        if (trace.relaying() || trace.off()) return;
        String text = readAfterLiteral ? Redactor.HIDDEN + line : line;
        readAfterLiteral = false;
        // what this connection's peer said: the client on the client leg, a server on a backend leg
        line(proxyIsServer, text);
    }

    @Override
    public void literalRead(int length) {
        readAfterLiteral = true;
    }

    @Override
    public void written(byte[] b, int off, int len) {
        if (trace.relaying() || trace.off()) return;
        for (int i = off; i < off + len; i++) {
            if (writeLiteral > 0) {
                writeLiteral--;
                if (writeLiteral == 0) writing.append(Redactor.HIDDEN);
                continue;
            }
            char c = (char) (b[i] & 0xff);
            if (c == '\n') {
                int end = writing.length();
                if (end > 0 && writing.charAt(end - 1) == '\r') writing.setLength(end - 1);
                String line = writing.toString();
                writing.setLength(0);
                writeLiteral = literalAtEnd(line);
                if (writingDropped > 0) line += " [" + writingDropped + " more bytes]";
                writingDropped = 0;
                // what the proxy said: as the server on the client leg, as the client on a backend leg
                line(!proxyIsServer, line);
            } else if (writing.length() < MAX_SHOWN) {
                writing.append(c);
            } else {
                writingDropped++;
            }
        }
    }

    @Override
    public boolean relayed(byte[] b, int off, int len) {
        if (trace.off()) return false;
        int n = Math.min(len, relayBytes - relayShown);
        if (n <= 0) return false;
        relayShown += n;
        relayPartial.append(new String(b, off, n, StandardCharsets.ISO_8859_1));
        int start = 0;
        for (int nl = relayPartial.indexOf("\n"); nl >= 0; nl = relayPartial.indexOf("\n", start)) {
            relayLine(relayPartial.substring(start, nl));
            start = nl + 1;
        }
        relayPartial.delete(0, start);
        if (relayShown >= relayBytes) {
            if (!relayPartial.isEmpty()) relayLine(relayPartial.toString());
            relayPartial.setLength(0);
            trace.event("relay", (proxyIsServer ? "client" : "backend") + " side: trace-relay-bytes shown");
            return false;
        }
        return true;
    }

    private void relayLine(String l) {
        String text = l.endsWith("\r") ? l.substring(0, l.length() - 1) : l;
        trace.emit("relay " + (proxyIsServer ? "C: " : "S: ") + safe(text));
    }

    /**
     * One protocol line. {@code byClient}: the client side said it (the client on the
     * client leg, the proxy on a backend leg), so it is redacted.
     */
    private void line(boolean byClient, String text) {
        String shown;
        if (byClient) {
            shown = redactor.client(text);
        } else {
            redactor.server(text);
            shown = text;
        }
        trace.emit(name + (byClient ? " C: " : " S: ") + safe(shown));
    }

    /** "{5}" or "{5+}" at the end of a line (RFC 9051 §4.3, RFC 7888): its size, else 0. */
    static long literalAtEnd(String line) {
        if (!line.endsWith("}")) return 0;
        int open = line.lastIndexOf('{');
        if (open < 0) return 0;
        String n = line.substring(open + 1, line.length() - 1);
        if (n.endsWith("+")) n = n.substring(0, n.length() - 1);
        if (n.isEmpty() || n.length() > 12 || !n.chars().allMatch(Character::isDigit)) return 0;
        return Long.parseLong(n);
    }

    /** Control bytes as \xNN, at most MAX_SHOWN characters. */
    static String safe(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_SHOWN) + 8);
        for (int i = 0; i < s.length(); i++) {
            if (b.length() >= MAX_SHOWN) {
                b.append(" [").append(s.length() - i).append(" more]");
                break;
            }
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }
}
