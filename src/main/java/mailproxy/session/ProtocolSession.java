package mailproxy.session;

import java.io.IOException;

/**
 * One protocol's pre-login story for one client (IMAP, POP3, SMTP, ManageSieve, LMTP):
 * greet, then answer commands until the client logs in or leaves. {@link CommandLoop} runs
 * it for every protocol: it calls {@link #greet()} once, then {@link #next()} until the
 * answer ends the session, counts errors toward limits.max-errors, and maps what ends the
 * input (end of stream, an overlong line, a timeout) the same way for every protocol,
 * inside AUTH exchanges too (see {@link Replies}).
 */
public interface ProtocolSession {
    /**
     * Whether this client may talk to the listener at all, asked before an implicit-TLS
     * handshake (so that one who may not costs no private-key operation) and again by the
     * protocol's own {@link #greet()}. Logs its refusal. LMTP's lmtp-clients; everyone
     * else's listeners take anyone (the guard's limits come first).
     */
    default boolean admits() { return true; }

    /** Sends the greeting; false when the session is already over (SMTP's pregreet test). */
    boolean greet() throws IOException;

    /**
     * Reads and answers one command. End of input is an {@link java.io.EOFException} (as
     * {@link Session#readLine()} throws it).
     */
    Answer next() throws IOException, InterruptedException;

    /** The protocol's replies for the endings the loop handles. */
    Replies replies();

    /**
     * The loop ends the session on its own initiative (max-errors) or something was thrown
     * while a command ran: drop what is in progress (LMTP: the transaction's backend legs).
     */
    default void abort() {}
}
