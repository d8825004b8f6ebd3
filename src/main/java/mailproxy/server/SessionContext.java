package mailproxy.server;

import mailproxy.wire.LogSafe;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import javax.net.ssl.SSLSocket;
import mailproxy.config.Backend;
import mailproxy.config.Limits;
import mailproxy.config.ListenerTls;
import mailproxy.config.ListenerConfig;
import mailproxy.config.ProxyConfig;
import mailproxy.route.BackendDialer;
import mailproxy.route.Router;
import mailproxy.route.Target;
import mailproxy.sasl.Challenger;
import mailproxy.sasl.Credentials;
import mailproxy.sasl.SaslException;
import mailproxy.sasl.SaslServer;
import mailproxy.tls.TlsClient;
import mailproxy.tls.TlsFacts;
import mailproxy.wire.Addresses;
import mailproxy.wire.Connection;
import mailproxy.wire.IdleSweeper;
import mailproxy.wire.Relay;

/**
 * Everything one client connection's story needs, and what its closing log line reports.
 * Owned by the session's thread; {@link #closeAll()} may also be called by a stopping
 * server, which only closes sockets.
 */
public final class SessionContext {
    private final long id;
    private final ProxyConfig config;
    private final ListenerConfig listener;
    private final Router router;
    private final Connection client;
    private final long startNanos = System.nanoTime();
    private volatile Connection backend;
    private TlsFacts tls;
    private Connection relayTo;
    private final IdleSweeper sweeper;
    private String user = "-";
    private String backendName = "-";
    private Target target;
    private String outcome = "closed";
    private long up;
    private long down;

    SessionContext(long id, ProxyConfig config, ListenerConfig listener, Router router, Connection client,
                   IdleSweeper sweeper) {
        this.sweeper = sweeper;
        this.id = id;
        this.config = config;
        this.listener = listener;
        this.router = router;
        this.client = client;
    }

    public long id() { return id; }

    /** A short id for logs and IMAP's x-session-id. */
    public String sessionId() { return Long.toString(id, 36) + "-" + Long.toString(startNanos & 0xffffff, 36); }

    public ProxyConfig config() { return config; }

    public ListenerConfig listener() { return listener; }

    public Limits limits() { return config.limits(); }

    public Router router() { return router; }

    public Connection client() { return client; }

    public InetSocketAddress clientAddress() { return client.remote(); }

    public InetSocketAddress localAddress() { return client.local(); }

    public String serverName() { return config.serverName(); }

    /** TLS facts of the client connection, or null while it is plaintext. */
    public TlsFacts tls() { return tls; }

    public boolean secure() { return tls != null; }

    /** The listener wants STARTTLS before any login and this connection has not done it. */
    public boolean tlsRequired() {
        return listener.tls().starttls() == ListenerTls.StartTls.ONLY && tls == null;
    }

    /** The listener offers STARTTLS/STLS and this connection is still plaintext. */
    public boolean canStartTls() { return listener.tls().offersStartTls() && tls == null; }

    /** The TLS handshake on the client connection: implicit TLS, or after a STARTTLS go-ahead. */
    void handshake() throws IOException {
        SSLSocket s = listener.tls().server().handshake(client.socket(), limits().timeout());
        client.replaceSocket(s);
        tls = listener.tls().server().facts(s);
    }

    /**
     * STARTTLS / STLS: the go-ahead reply has been sent; whatever the client sent after its
     * command is thrown away unread (RFC 3207 §4.2, RFC 2595 §3.1; nginx CVE-2014-3556), then
     * the handshake. Afterwards the session starts over as the RFCs require (fresh
     * capabilities, no state from before).
     */
    public void startTls() throws IOException {
        client.discardBuffered();
        handshake();
    }

    /**
     * Runs a SASL exchange the protocol's way ({@code challenger}), with what only the
     * session knows: the verified client certificate's identity (EXTERNAL) and the server
     * name (CRAM-MD5's challenge).
     */
    public Credentials authenticate(String mechanism, String initialResponse, Challenger challenger)
            throws SaslException, IOException {
        String identity = tls == null ? null : tls.identity().orElse(null);
        return SaslServer.authenticate(mechanism, initialResponse, challenger, identity, serverName());
    }

    /** The backend server last connected to (its options: login style, TLS client), or null. */
    public Target target() { return target; }

    /** Connects to a backend, with TLS first where it is implicit; closed with the session. */
    public Connection connect(Target target) throws IOException {
        backendName = target.toString();
        this.target = target;
        Connection c = BackendDialer.connect(target, limits().connectTimeout(), limits().backendTimeout());
        backend = c;
        if (target.options().tls(listener.protocol()) == Backend.Tls.IMPLICIT) upgradeBackend(c, target);
        return c;
    }

    /**
     * TLS on a backend connection: right after connect (implicit) or after the backend's
     * STARTTLS/STLS go-ahead. Anything the backend sent beyond its go-ahead is discarded,
     * for the same reason as on the client side.
     */
    public void upgradeBackend(Connection c, Target target) throws IOException {
        TlsClient client = target.options().tlsClient();
        if (client == null) throw new IOException("backend " + target + " has TLS but no TLS client settings");
        c.discardBuffered();
        c.replaceSocket(client.handshake(c.socket(), limits().backendTimeout()));
    }

    /** Closes a backend that refused the login, so the client can try again. */
    public void dropBackend() {
        Connection c = backend;
        backend = null;
        if (c != null) c.close();
    }

    /** Relays until either side ends; records bytes and outcome for the log line. */
    void relayAfterReturn(Connection b) {
        relayTo = b;
    }

    /** After the protocol session has returned: relay if it logged in. */
    void relayIfLoggedIn() {
        Connection b = relayTo;
        relayTo = null;
        if (b != null) relay(b);
    }

    private void relay(Connection b) {
        Relay.Result r = new Relay(client, b, limits().proxyTimeout(), limits().halfCloseTimeout(), config.relayBufferSize(), sweeper)
                .run(Thread.currentThread().getName());
        up += r.clientToBackend();
        down += r.backendToClient();
        outcome = r.outcome();
    }

    public void user(String u) { this.user = u == null || u.isEmpty() ? "-" : u; }

    public void outcome(String o) { this.outcome = o; }

    public String outcome() { return outcome; }

    Duration elapsed() { return Duration.ofNanos(System.nanoTime() - startNanos); }

    String logLine() {
        return listener.protocol().id() + " id=" + sessionId() + " client=" + format(client.remote()) + " user=" + LogSafe.text(user)
                + " backend=" + backendName + " up=" + up + " down=" + down + " ms=" + elapsed().toMillis()
                + (tls == null ? "" : " tls=" + tls.protocol()) + " outcome=" + outcome;
    }

    static String format(InetSocketAddress a) {
        return Addresses.hostPort(a);
    }

    /** Closes both sockets; safe from any thread. */
    void closeAll() {
        client.close();
        Connection b = backend;
        if (b != null) b.close();
    }
}
