package mailproxy.session;

import java.io.IOException;

/**
 * One protocol's pre-login story for one client (IMAP, POP3, SMTP): greet, then answer
 * commands until the client logs in or leaves. The {@link Session} runs it: it calls
 * {@link #greet()} once, then {@link #next()} until that returns false, and maps what ends
 * the input (end of stream, an overlong line, a timeout, a stalled write) the same way
 * for every protocol, inside AUTH exchanges too (see {@link Replies}).
 */
public interface ProtocolSession {
    /** Sends the greeting; false when the session is already over (SMTP's pregreet test). */
    boolean greet() throws IOException;

    /**
     * Reads and answers one command; false ends the session. End of input is an
     * {@link java.io.EOFException} (as {@link Session#readLine()} throws it).
     */
    boolean next() throws IOException, InterruptedException;

    /** The protocol's replies for the endings the session handles. */
    Replies replies();

    /**
     * Called after the session sent a reply that ends it on the proxy's initiative (an
     * overlong line): SMTP reads on briefly so the reply is not lost to a TCP reset.
     */
    default void closing() {}
}
