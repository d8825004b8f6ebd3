package mailproxy.trace;

import mailproxy.wire.Connection;
import mailproxy.wire.LogSafe;

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
    private final RelayView relay;
    private Redactor redactor = new Redactor();
    /** The line being written, assembled from write calls. */
    private final LineBuffer writing = new LineBuffer();
    /** Bytes of a literal still to come in the writes, shown as ***. */
    private long writeLiteral;
    /** The line being written continues a command after a literal. */
    private boolean writingAfterLiteral;
    /** A literal was read: the next line read continues after it. */
    private boolean readAfterLiteral;

    /**
     * @param relayShared what the relay's two directions share (its redactor): the client
     *     leg shows the client's relayed lines through it, the backend leg's lines end its SASL
     */
    Leg(SessionTrace trace, String name, boolean proxyIsServer, int relayBytes, RelayView.Shared relayShared) {
        this.trace = trace;
        this.name = name;
        this.proxyIsServer = proxyIsServer;
        this.relay = new RelayView(trace, relayShared, proxyIsServer, relayBytes);
    }

    /** A new backend connection (failover): nothing carries over from the last one. */
    void reset() {
        writing.take();
        writeLiteral = 0;
        writingAfterLiteral = false;
        readAfterLiteral = false;
        redactor = new Redactor();
    }

    @Override
    public void lineRead(String line) {
        if (trace.relaying() || trace.off()) return;
        boolean after = readAfterLiteral;
        readAfterLiteral = false;
        // what this connection's peer said: the client on the client leg, a server on a backend leg
        line(proxyIsServer, line, after);
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
                if (writeLiteral == 0) writingAfterLiteral = true;
                continue;
            }
            char c = (char) (b[i] & 0xff);
            if (c == '\n') endWrittenLine();
            else writing.append(c);
        }
    }

    private void endWrittenLine() {
        LineBuffer.Line line = writing.take();
        boolean after = writingAfterLiteral;
        writingAfterLiteral = line.literal() == 0;
        writeLiteral = Math.max(0, line.literal());
        // what the proxy said: as the server on the client leg, as the client on a backend leg
        line(!proxyIsServer, line.text(), after);
    }

    @Override
    public boolean relayed(byte[] b, int off, int len) {
        if (trace.off()) return false;
        return relay.relayed(b, off, len);
    }

    /**
     * One protocol line. {@code byClient}: the client side said it (the client on the
     * client leg, the proxy on a backend leg), so it is redacted. {@code afterLiteral}: it
     * continues a line after a literal, whose content shows as ***.
     */
    private void line(boolean byClient, String text, boolean afterLiteral) {
        String shown;
        if (byClient) {
            shown = redactor.client(text, afterLiteral);
        } else {
            redactor.server(text, afterLiteral);
            shown = text;
        }
        if (afterLiteral) shown = Redactor.HIDDEN + shown;
        trace.emit(name + (byClient ? " C: " : " S: ") + safe(shown));
    }

    /**
     * A traced line as the log may show it: the escapes of every other log line
     * ({@link LogSafe#text}: C0, DEL, C1 and every non-ASCII byte as \xNN, so neither a
     * NEL nor a bidi override from a client reaches a log viewer), at most MAX_SHOWN characters.
     */
    static String safe(String s) {
        return LogSafe.text(s, MAX_SHOWN);
    }
}
