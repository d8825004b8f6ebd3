package mailproxy.session;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import mailproxy.config.ListenerConfig;
import mailproxy.trace.SessionTrace;
import mailproxy.wire.Connection;
import mailproxy.wire.Relay;
import mailproxy.wire.Watchdog;

/**
 * A session's relay (wire.Relay: bytes both ways until one side ends) and a kick of it.
 * The login hands the client over to its backend as the backend's answer goes out; the
 * relay runs once the protocol session has returned, from the top of the session's thread
 * (docs/ARCHITECTURE.md, "The connection story"). A kick (README, "Moving users") stops the
 * relay between two backend responses, gives the session's place on its server back, sends
 * the protocol's {@link Replies#kicked()} line and closes both sides; it may come from any
 * thread at any time, and one that comes while the login is still finishing is remembered
 * and done as soon as the relay starts.
 */
final class SessionRelay {
    private final Login login;
    private final ListenerConfig listener;
    /** The backend the login handed the client to, or null before. */
    private Connection backend;
    /** The protocol's replies (the kick's line); written before {@link #relay}, read after it. */
    private Replies replies;
    /** The relay once it runs, for the admin's byte counts and a kick. */
    private volatile Relay relay;
    /** The server id a kick was for, or null: checked again when the relay starts. */
    private volatile String kickedFrom;
    private volatile Runnable afterKick;

    SessionRelay(Login login, ListenerConfig listener) {
        this.login = login;
        this.listener = listener;
    }

    /**
     * The backend's login answer is about to go to the client: from then on the client's
     * stream is the backend's, and no line of ours may reach it, a bug's included
     * ({@link InternalErrorReply}). On the session's thread.
     */
    void handOver(Connection to) { backend = to; }

    /** Whether the login handed the client over to a backend; on the session's thread. */
    boolean handedOver() { return backend != null; }

    /** The relay while it runs, else null; any thread. */
    Relay running() { return relay; }

    /**
     * Relays between the client and the backend it was handed to until one side ends, on the
     * calling thread. What only this needs comes as arguments, not fields: a relayed session
     * holds this object for hours.
     */
    Relay.Result run(Connection client, Replies protocolReplies, SessionTrace trace, Watchdog watchdog, SessionMeters meters)
            throws IOException {
        // TCP keepalive only for what may idle for hours (set here, not per accept: a
        // connection that never logs in is bounded by limits.timeout and needs none)
        client.socket().setKeepAlive(true);
        if (trace != null && (!trace.loggedIn() || !trace.relayStarting())) {
            client.tap(null);
            backend.tap(null);
        }
        replies = protocolReplies;
        Relay rl = new Relay(client, backend, listener.limits().proxyTimeout(), listener.limits().halfCloseTimeout(),
                listener.relayBufferSize(), watchdog).meter(meters.up::inc, meters.down::inc).responses(replies.responseSyntax());
        relay = rl;
        // a kick that came while the login was finishing (kick() saw no relay yet)
        String from = kickedFrom;
        LiveSession.Placement at = login.placement();
        if (from != null && at != null && from.equals(at.server())) {
            rl.kick(kickLine(), listener.limits().halfCloseTimeout(), this::kickedOff);
        }
        return rl.run(Thread.currentThread().getName());
    }

    /** See {@link LiveSession#kick}; any thread. */
    boolean kick(Runnable released) {
        LiveSession.Placement at = login.placement();
        if (at == null || kickedFrom != null) return false;
        afterKick = released;
        kickedFrom = at.server();
        Relay r = relay;
        if (r != null) r.kick(kickLine(), listener.limits().halfCloseTimeout(), this::kickedOff);
        return true;
    }

    /** On the relay's thread, the backend closed: the place on the server goes back before the kick's line. */
    private void kickedOff() {
        login.closeBackend();
        Runnable r = afterKick;
        if (r != null) r.run();
    }

    private byte[] kickLine() {
        Replies r = replies;
        return r == null ? new byte[0] : r.kicked().getBytes(StandardCharsets.ISO_8859_1);
    }
}
