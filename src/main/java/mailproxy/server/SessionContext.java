package mailproxy.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import mailproxy.config.Limits;
import mailproxy.config.ListenerConfig;
import mailproxy.config.ProxyConfig;
import mailproxy.route.BackendDialer;
import mailproxy.route.Router;
import mailproxy.route.Target;
import mailproxy.wire.Connection;
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
    private String user = "-";
    private String backendName = "-";
    private String outcome = "closed";
    private long up;
    private long down;

    SessionContext(long id, ProxyConfig config, ListenerConfig listener, Router router, Connection client) {
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

    /** Connects to a backend; the connection is closed with the session. */
    public Connection connect(Target target) throws IOException {
        backendName = target.toString();
        Connection c = BackendDialer.connect(target, limits().connectTimeout(), limits().backendTimeout());
        backend = c;
        return c;
    }

    /** Closes a backend that refused the login, so the client can try again. */
    public void dropBackend() {
        Connection c = backend;
        backend = null;
        if (c != null) c.close();
    }

    /** Relays until either side ends; records bytes and outcome for the log line. */
    public void relay(Connection b) {
        Relay.Result r = new Relay(client, b, limits().proxyTimeout(), limits().halfCloseTimeout(), config.relayBufferSize())
                .run(Thread.currentThread().getName());
        up += r.clientToBackend();
        down += r.backendToClient();
        outcome = r.outcome();
    }

    public void user(String u) { this.user = u; }

    public void outcome(String o) { this.outcome = o; }

    public String outcome() { return outcome; }

    Duration elapsed() { return Duration.ofNanos(System.nanoTime() - startNanos); }

    String logLine() {
        return listener.protocol().id() + " client=" + format(client.remote()) + " user=" + LogSafe.text(user)
                + " backend=" + backendName + " up=" + up + " down=" + down + " ms=" + elapsed().toMillis()
                + " outcome=" + outcome;
    }

    static String format(InetSocketAddress a) {
        if (a == null) return "-";
        String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** Closes both sockets; safe from any thread. */
    void closeAll() {
        client.close();
        Connection b = backend;
        if (b != null) b.close();
    }
}
