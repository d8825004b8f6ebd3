package mailproxy.wire;

/**
 * A client command that does not parse: the reply text, and whether the connection can
 * go on. It cannot when bytes are on their way that the reader will not take (a
 * non-synchronizing literal over the limit): the stream is out of step, so the session
 * answers and closes. Thrown by {@link CommandReader} and the parsers over it; no stack
 * trace, it is an answer, not a fault.
 */
public final class CommandSyntaxException extends Exception {
    private final boolean close;

    public CommandSyntaxException(String reply) {
        this(reply, false);
    }

    public CommandSyntaxException(String reply, boolean close) {
        super(reply, null, false, false);
        this.close = close;
    }

    /** True when the connection must close after the reply. */
    public boolean close() { return close; }
}
