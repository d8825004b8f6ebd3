package mailproxy.session;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import mailproxy.config.Limits;
import mailproxy.config.ListenerConfig;
import mailproxy.config.ListenerTls;
import mailproxy.config.ProxyConfig;
import mailproxy.guard.Guard;
import mailproxy.route.LoginRequest;
import mailproxy.route.Router;
import mailproxy.sasl.Challenger;
import mailproxy.sasl.Credentials;
import mailproxy.sasl.SaslException;
import mailproxy.tls.TlsFacts;
import mailproxy.tls.TlsHandshakeException;
import mailproxy.trace.SessionTrace;
import mailproxy.trace.TraceSwitch;
import mailproxy.wire.Addresses;
import mailproxy.wire.Connection;
import mailproxy.wire.LogSafe;
import mailproxy.wire.ProxyHeader;
import mailproxy.wire.Relay;
import mailproxy.wire.Watchdog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection's whole story (docs/ARCHITECTURE.md, "The connection story"):
 * [PROXY header] [implicit TLS] → the protocol's greeting and commands → login → relay,
 * and what its closing log line reports. The steps have classes of their own
 * ({@link ClientAddresses}, {@link ClientTls}, {@link CommandLoop}, {@link ClientSasl},
 * {@link Login}, {@link SessionRelay}); this one tells the story and keeps what the log
 * line and the admin see. Owned by the session's thread; {@link #closeAll()} may also be
 * called by a stopping server.
 */
public final class LiveSession implements Session {
    private static final Logger log = LoggerFactory.getLogger(LiveSession.class);

    private final long id;
    private final ProxyConfig config;
    private final ListenerConfig listener;
    private final Limits limits;
    private final Connection client;
    private final Watchdog watchdog;
    private final Login login;
    /** LMTP's backend connections (see {@link Backends}); closed with the session. */
    private final Backends backends;
    private final Guard guard;
    /** This session's places under the guard's limits (per address, per user); closed at the end. */
    private Guard.Permit addressPermit;
    private Guard.Permit userPermit;
    private Replies replies;
    private final SessionMeters meters;
    private final TraceSwitch traceSwitch;
    /** This session's protocol trace, or null (the usual case: then it costs nothing). */
    private SessionTrace trace;
    /** The client's TLS handshake once one began, else null (see {@link ClientTls}). */
    private ClientTls tls;
    /** The client's SASL exchange from its start to the end of its login attempt, else null (most logins have none). */
    private ClientSasl sasl;
    private final SessionRelay relay;
    private final long startNanos = System.nanoTime();
    private final Instant since = Instant.now();
    private volatile Thread thread;
    private final ClientAddresses addresses;
    private volatile String user = "-";
    private Outcome outcome = Outcome.CLOSED;
    private long up;
    private long down;

    /**
     * @param meters this listener's metrics
     * @param trace who is traced
     */
    public LiveSession(long id, ProxyConfig config, ListenerConfig listener, Router router, Guard guard, Connection client,
                       Watchdog watchdog, SessionMeters meters, TraceSwitch trace) {
        this.guard = guard;
        this.meters = meters;
        this.traceSwitch = trace;
        this.id = id;
        this.config = config;
        this.listener = listener;
        this.limits = listener.limits();
        this.addresses = new ClientAddresses(client.remote());
        this.client = client;
        this.watchdog = watchdog;
        BackendConnector connector = new BackendConnector(this, watchdog);
        this.login = new Login(this, router, guard, connector);
        this.backends = new Backends(this, router, connector);
        this.relay = new SessionRelay(login, listener);
    }

    /**
     * Runs the story on the calling thread until both sockets are closed; never throws.
     * The relay runs here, after the protocol session has returned, so an idle relayed
     * session holds a shallow stack.
     */
    public void run(SessionFactory protocols) {
        thread = Thread.currentThread();
        meters.active.inc();
        try {
            client.watchWrites(watchdog, limits.timeout());
            // limits.login-lifetime: from accept to a finished login, however busy the client
            // keeps itself; a protocol without a login (LMTP: its commands are each bounded
            // by limits.timeout) has none to bound
            if (!limits.loginLifetime().isZero() && listener.protocol().spec().login()) {
                client.lifetimeEnds(startNanos + limits.loginLifetime().toNanos());
            }
            if (listener.proxyProtocol()) {
                Outcome refused = addresses.readProxyHeader(client, listener, limits.proxyHeaderTimeout());
                if (refused != null) {
                    outcome = refused;
                    return;
                }
            }
            trace = traceSwitch.start(listener, sessionId(), addresses.client().getAddress());
            if (trace != null) {
                trace.event("client", "from " + Addresses.hostPort(addresses.client()));
                client.tap(trace.client());
            }
            ProtocolSession p = protocols.create(this);
            replies = p.replies();
            // before the TLS handshake: an address over its limit costs no private-key operation
            addressPermit = guard.admit(addresses.client().getAddress());
            if (!addressPermit.ok()) {
                meters.guard[addressPermit.tableFull() ? SessionMeters.TABLE_FULL : SessionMeters.TOO_MANY_CONNECTIONS].inc();
                outcome = Outcome.TOO_MANY_CONNECTIONS;
                // with implicit TLS there is no way to say it without the handshake: just close
                if (!listener.tls().implicit()) client.write(replies.tooManyConnections());
                return;
            }
            // a client the listener refuses anyway gets no handshake either (its words for
            // the refusal, on a plain or STARTTLS listener, are the protocol's greeting's)
            if (listener.tls().implicit() && !p.admits()) {
                outcome = Outcome.REJECTED;
                return;
            }
            beforeRelay(p);
            if (relay.handedOver()) relay();
        } catch (TlsHandshakeException e) {
            outcome = Outcome.ofClientTlsFailure(client);
            log.info("{}", e.getMessage());
        } catch (IOException e) {
            if (outcome == Outcome.CLOSED) outcome = Outcome.ofClientFailure(e, client);
            log.debug("session ended: {}", e.toString());
        } catch (InterruptedException e) {
            outcome = Outcome.SHUTDOWN;
        } catch (RuntimeException | Error e) {
            outcome = Outcome.INTERNAL_ERROR;
            log.warn("session failed (a bug): ", e);
            InternalErrorReply.send(client, replies, atOurPrompt());
        } finally {
            closeAll();
            if (addressPermit != null) addressPermit.close();
            if (userPermit != null) userPermit.close();
            meters.active.dec();
            meters.ended(outcome);
            SessionTrace t = trace;
            if (t != null) t.ended(outcome);
        }
    }

    /**
     * [Implicit TLS,] the greeting, the commands and the login, on a child thread: an idle
     * relayed session then holds only shallow stacks (see {@link ChildThread}).
     */
    private void beforeRelay(ProtocolSession p) throws IOException, InterruptedException {
        ChildThread.run(() -> {
            if (listener.tls().implicit()) handshake();
            CommandLoop.run(this, p, e -> sasl != null && sasl.ended(e));
        }, t -> thread = t);
    }

    /**
     * Whether a line of ours is in its place now ({@link InternalErrorReply}): not once the
     * backend has the client's stream, not inside a TLS handshake that did not finish, not
     * on an implicit-TLS connection before its handshake (plain text is garbage to the
     * client's TLS layer there).
     */
    private boolean atOurPrompt() {
        if (relay.handedOver()) return false;
        return tls != null ? tls.facts() != null : !listener.tls().implicit();
    }

    private void relay() throws IOException {
        Relay.Result r = relay.run(client, replies, trace, watchdog, meters);
        up += r.clientToBackend();
        down += r.backendToClient();
        outcome = Outcome.of(r.end());
    }

    // ---- Session: what a protocol may use

    @Override
    public Connection client() { return client; }

    @Override
    public ListenerConfig listener() { return listener; }

    @Override
    public Limits limits() { return limits; }

    @Override
    public String serverName() { return config.serverName(); }

    @Override
    public InetSocketAddress clientAddress() { return addresses.client(); }

    @Override
    public InetSocketAddress localAddress() { return addresses.local(client); }

    /** The PROXY header this connection came with, or null. */
    ProxyHeader proxy() { return addresses.header(); }

    // made on each call, not kept: a field would cost every held session its bytes for hours
    @Override
    public String sessionId() { return Long.toString(id, 36) + "-" + Long.toString(startNanos & 0xffffff, 36); }

    @Override
    public TlsFacts tls() { return tls == null ? null : tls.facts(); }

    @Override
    public boolean tlsRequired() {
        return listener.tls().starttls() == ListenerTls.StartTls.ONLY && tls() == null;
    }

    @Override
    public boolean canStartTls() { return listener.tls().offersStartTls() && tls() == null; }

    @Override
    public void startTls() throws IOException {
        client.discardBuffered();
        handshake();
    }

    /** The TLS handshake on the client connection: implicit TLS, or after a STARTTLS go-ahead. */
    private void handshake() throws IOException {
        tls = new ClientTls(); // before it begins: a bug inside leaves it unfinished
        tls.handshake(client, listener.tls(), client.withinLifetime(limits.timeout()), meters, trace);
    }

    @Override
    public String readLine() throws IOException {
        String line = client.readLine(limits.lineLength());
        if (line == null) throw new EOFException("client closed the connection");
        return line;
    }

    @Override
    public Credentials authenticate(String mechanism, String initialResponse, Challenger challenger)
            throws SaslException, IOException {
        TlsFacts facts = tls();
        if (sasl == null) sasl = new ClientSasl(this);
        return sasl.authenticate(mechanism, initialResponse, challenger, facts == null ? null : facts.identity().orElse(null));
    }

    @Override
    public Next login(Credentials c, LoginRequest.SmtpFacts smtp, BackendLogin backend, Challenger challenger)
            throws IOException, InterruptedException {
        try {
            return login.attempt(c, smtp, backend, challenger);
        } finally {
            sasl = null; // the exchange is over: the next attempt may be a LOGIN command
        }
    }

    /** For the audit line: the SASL mechanism of the attempt under way (PLAIN, LOGIN, ...), or null. */
    String saslMechanism() { return sasl == null ? null : sasl.mechanism(); }

    @Override
    public void outcome(Outcome o) { this.outcome = o; }

    @Override
    public Backends backends() { return backends; }

    // ---- what Login reports back

    void user(String u) {
        this.user = u == null || u.isEmpty() ? "-" : u;
        if (trace != null) trace.user(u);
    }

    SessionMeters meters() { return meters; }

    /** The trace, or null. */
    SessionTrace trace() { return trace; }

    Outcome outcome() { return outcome; }

    Replies replies() { return replies; }

    /** The user's place under max-sessions-per-user, given back when the session ends. */
    void holdUserPermit(Guard.Permit p) { userPermit = p; }

    /** The backend to relay to once the protocol session has returned (see {@link SessionRelay#handOver}). */
    void relayAfterReturn(Connection b) { relay.handOver(b); }

    /** Sleeps a router's wait (auth_http Auth-Wait); a stopping server interrupts it. */
    void sleep(Duration d) throws InterruptedException {
        Thread.sleep(d);
    }

    // ---- for the server

    /**
     * The session's one log line (never a password). Every value a client or a router chose
     * goes through LogSafe.value: quoted and escaped, so no field can be forged
     * (docs/SECURITY.md, "Log lines cannot be forged").
     */
    public String logLine() {
        TlsFacts facts = tls();
        return listener.protocol().id() + " id=" + sessionId() + " " + addresses.logFields(client)
                + " user=" + LogSafe.value(user) + " backend=" + LogSafe.value(login.backendName()) + " up=" + up + " down=" + down
                + " ms=" + Duration.ofNanos(System.nanoTime() - startNanos).toMillis()
                + (facts == null ? "" : " tls=" + facts.protocol()) + " outcome=" + outcome;
    }

    /** What the admin's session list shows; any thread. */
    public SessionInfo info() {
        Relay r = relay.running();
        return new SessionInfo(sessionId(), listener.protocol().id(), listener.name(), Addresses.hostPort(addresses.client()),
                user, login.backendName(), since, r == null ? "login" : "relay",
                r == null ? 0 : r.bytesUp(), r == null ? 0 : r.bytesDown());
    }

    /**
     * Where this session's backend connection is (pool, server id, the user's routing key),
     * or null while it has none; any thread.
     */
    public Placement placement() { return login.placement(); }

    /** A session's place in a pool: what a kick looks for (README, "Moving users"). */
    public record Placement(String pool, String server, String user) {}

    /**
     * Closes this session so that its client reconnects (the operator moved its user,
     * drained its server, or a reload rebalanced; README, "Moving users"): the relay stops
     * between two backend responses, the protocol's {@link Replies#kicked()} line goes to
     * the client, both sides close, and the log line says outcome=kicked. A session still
     * logging in on that server is kicked as soon as its relay starts. Any thread; false
     * when the session is on no server (before login nothing needs kicking) or was kicked.
     *
     * @param released run once the session's place on its server is given back, before the
     *                 client is told to reconnect
     */
    public boolean kick(Runnable released) { return relay.kick(released); }

    /** The login name, or "-" before one was given; any thread. */
    public String user() { return user; }

    /** Closes both sockets and wakes the session's thread if it sleeps; safe from any thread. */
    public void closeAll() {
        client.close();
        login.closeBackend();
        backends.closeAll();
    }

    /** Stops the session now: closes its sockets and interrupts a wait (a stopping server). */
    public void stop() {
        closeAll();
        Thread t = thread;
        if (t != null && t != Thread.currentThread()) t.interrupt();
    }
}
