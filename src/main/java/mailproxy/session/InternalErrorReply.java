package mailproxy.session;

import java.io.IOException;
import mailproxy.wire.Connection;

/**
 * The last words of a session a bug of ours ended (docs/SECURITY.md, "The pre-auth dialogue
 * is bounded"): bad input, and our own mistakes, get the protocol's proper reply and a
 * closed connection, never a stack trace and never silence the client cannot tell from a
 * network fault. The protocol's "temporary failure, closing" line
 * ({@link Replies#internalError()}) goes out only where a line of ours is in its place:
 * while the client is at a prompt of ours, so
 * <ul>
 * <li>not before the protocol session has its replies (the PROXY header step: a balancer
 *     reads nothing of ours there);</li>
 * <li>not once the client's stream is the backend's (the backend's login answer went out,
 *     the relay runs): a line between the backend's bytes would corrupt what the client
 *     reads;</li>
 * <li>not inside a TLS handshake that did not finish, nor on an implicit-TLS connection
 *     before its handshake: plain text there is garbage to the client's TLS layer;</li>
 * <li>not when the bug broke off a write to the client ({@link Connection#writeBrokeOff()}):
 *     the client may hold half a line, and ours would be read as its end.</li>
 * </ul>
 * Best effort: the write is bounded by the client connection's watched write timeout
 * (limits.timeout, wire.Watchdog), and a failure to write is ignored: the session is
 * closing either way.
 */
final class InternalErrorReply {
    private InternalErrorReply() {}

    /**
     * @param replies the protocol's replies, or null before the protocol session exists
     * @param atOurPrompt whether the client is talking to us (not to a backend, not in a TLS handshake)
     */
    static void send(Connection client, Replies replies, boolean atOurPrompt) {
        if (replies == null || !atOurPrompt || client.writeBrokeOff()) return;
        try {
            client.write(replies.internalError());
            if (replies.lingerOnClose()) Linger.close(client);
        } catch (IOException | RuntimeException | Error e) {
            // best effort: the client may be gone, or the bug may break this write too; the
            // first failure is logged already, and LiveSession.run never throws
        }
    }
}
