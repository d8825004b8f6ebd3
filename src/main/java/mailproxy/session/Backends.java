package mailproxy.session;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import mailproxy.config.Protocol;
import mailproxy.route.LoginRequest;
import mailproxy.route.PoolServer;
import mailproxy.route.Route;
import mailproxy.route.Router;
import mailproxy.route.Target;
import mailproxy.wire.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * For a protocol whose one client session talks to several backends at once, LMTP (RFC
 * 2033 §4.2: each recipient is routed on its own): the router and the backend connections
 * the way a login uses them (the same request facts, PROXY header, implicit TLS, greeting
 * wait, watched writes, pool accounting), without a login and without the relay. Every
 * connection opened here is closed by {@link Opened#close()} or at the session's end.
 */
public final class Backends {
    private static final Logger log = LoggerFactory.getLogger(Backends.class);

    private final LiveSession session;
    private final Router router;
    private final BackendConnector connector;
    /** Made by the first {@link #open}: most sessions (IMAP, POP3, SMTP) never need it. */
    private volatile Set<Opened> open;
    private int requests;

    Backends(LiveSession session, Router router, BackendConnector connector) {
        this.session = session;
        this.router = router;
        this.connector = connector;
    }

    /**
     * Asks the router about one delivery: auth_http's Auth-Method none with no user, the
     * envelope in {@code smtp} (Auth-SMTP-Helo/-From/-To), routed by its recipient
     * ({@link LoginRequest#routingKey()}), as SMTP MX mode does.
     */
    public Route route(LoginRequest.SmtpFacts smtp) throws InterruptedException {
        LoginRequest r = new LoginRequest(session.listener().protocol(), "none", "", "", "", ++requests,
                session.clientAddress(), session.localAddress(), session.sessionId(), smtp, session.tls(), session.proxy());
        return router.route(r);
    }

    /**
     * Connects to one server for this session's protocol: TCP, the PROXY header where the
     * backend wants one, implicit TLS, then waits for the first byte of the greeting. A
     * failure marks the server (passive health) and throws; the caller tries the next
     * candidate. The server counts the connection until {@link Opened#close()}.
     */
    public Opened open(PoolServer server) throws IOException {
        Protocol p = session.listener().protocol();
        Target target = server.target(p);
        server.connected();
        Opened o = new Opened(server, target, p);
        openSet().add(o);
        try {
            connector.open(target, c -> o.connection = c);
            return o;
        } catch (IOException | RuntimeException e) {
            o.failed(e.toString());
            o.close();
            throw e;
        }
    }

    /** TLS on a backend connection (implicit, or after its STARTTLS go-ahead); what it sent ahead is dropped. */
    public void upgrade(Connection c, Target target) throws IOException {
        connector.upgrade(c, target);
    }

    /** Only the session's thread opens connections, so only it creates the set. */
    private Set<Opened> openSet() {
        Set<Opened> set = open;
        if (set == null) open = set = ConcurrentHashMap.newKeySet();
        return set;
    }

    /** Closes every connection still open (the session's end, a stopping server); any thread. */
    void closeAll() {
        Set<Opened> set = open;
        if (set == null) return;
        for (Opened o : set) o.close();
    }

    /** One backend connection opened for this session, counted by its server until closed. */
    public final class Opened implements AutoCloseable {
        private final PoolServer server;
        private final Target target;
        private final Protocol protocol;
        private final AtomicBoolean closed = new AtomicBoolean();
        private volatile Connection connection;

        private Opened(PoolServer server, Target target, Protocol protocol) {
            this.server = server;
            this.target = target;
            this.protocol = protocol;
        }

        public Connection connection() { return connection; }

        public Target target() { return target; }

        public PoolServer server() { return server; }

        /** The server answered as it should (its greeting and hello): recent failures are forgiven. */
        public void succeeded() { server.succeeded(protocol); }

        /** The server failed (no greeting, garbage, a broken connection): passive marking, logged. */
        public void failed(String reason) {
            log.warn("backend {} ({} {}): {}", target, server.pool(), protocol.id(), reason);
            server.failed(protocol, reason);
        }

        /** Closes the connection and gives the server's count back; at most once, any thread. */
        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) return;
            open.remove(this); // made by the open() that made this
            Connection c = connection;
            if (c != null) c.close();
            server.released();
        }
    }
}
