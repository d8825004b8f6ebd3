package mailproxy.session;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import javax.net.ssl.SSLSocket;
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
import mailproxy.sasl.SaslServer;
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
 * [implicit TLS] → the protocol's greeting and commands → login → relay, and what its
 * closing log line reports. Owned by the session's thread; {@link #closeAll()} may also be
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
    /** The relay once it runs, for the admin's byte counts and a kick. */
    private volatile Relay relay;
    /** The server id a kick was for (README, "Moving users"), or null: checked again when the relay starts. */
    private volatile String kickedFrom;
    private final long startNanos = System.nanoTime();
    private final Instant since = Instant.now();
    private volatile Thread thread;
    private TlsFacts tls;
    /** The client: the socket's peer, or the original client a trusted PROXY header names. */
    private InetSocketAddress clientAddress;
    /** The address the client connected to: a trusted PROXY header's, else the socket's when first asked. */
    private InetSocketAddress localAddress;
    /** The PROXY header this connection came with, or null. */
    private ProxyHeader proxyHeader;
    private Connection relayTo;
    /** The backend's login answer went to the client: from then on its stream is the backend's. */
    private boolean handedOver;
    /** A TLS handshake on the client connection began and did not finish. */
    private boolean handshaking;
    private volatile String user = "-";
    private Outcome outcome = Outcome.CLOSED;
    /** What ended the last SASL exchange's reading of the client, if anything (see {@link Replies#saslLineTooLong()}). */
    private IOException saslEnded;
    /** The SASL mechanism of the login under way, for its audit line; null: the protocol's own command (LOGIN, USER/PASS, APOP). */
    private String saslMechanism;
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
        this.clientAddress = client.remote();
        this.client = client;
        this.watchdog = watchdog;
        BackendConnector connector = new BackendConnector(this, watchdog);
        this.login = new Login(this, router, guard, connector);
        this.backends = new Backends(this, router, connector);
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
            if (listener.proxyProtocol() && !proxyHeader()) return;
            trace = traceSwitch.start(listener, sessionId(), clientAddress.getAddress());
            if (trace != null) {
                trace.event("client", "from " + Addresses.hostPort(clientAddress));
                client.tap(trace.client());
            }
            ProtocolSession p = protocols.create(this);
            replies = p.replies();
            // before the TLS handshake: an address over its limit costs no private-key operation
            addressPermit = guard.admit(clientAddress.getAddress());
            if (!addressPermit.ok()) {
                meters.guard[addressPermit.tableFull() ? SessionMeters.TABLE_FULL : SessionMeters.TOO_MANY_CONNECTIONS].inc();
                outcome = Outcome.TOO_MANY_CONNECTIONS;
                // with implicit TLS there is no way to say it without the handshake: just close
                if (!listener.tls().implicit()) client.write(replies.tooManyConnections());
                return;
            }
            beforeRelay(p);
            Connection b = relayTo;
            relayTo = null;
            if (b != null) relay(b);
        } catch (TlsHandshakeException e) {
            outcome = client.lifetimeOver() ? Outcome.LOGIN_TIMEOUT : Outcome.TLS_FAILED;
            log.info("{}", e.getMessage());
        } catch (IOException e) {
            if (outcome == Outcome.CLOSED) outcome = ended(e);
            log.debug("session ended: {}", e.toString());
        } catch (InterruptedException e) {
            outcome = Outcome.SHUTDOWN;
        } catch (RuntimeException | Error e) {
            outcome = Outcome.INTERNAL_ERROR;
            log.warn("session failed (a bug): ", e);
            InternalErrorReply.send(client, replies, atOurPrompt(), e);
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
            converse(p);
        }, t -> thread = t);
    }

    /** The protocol's greeting and commands: the one command loop ({@link CommandLoop}). */
    private void converse(ProtocolSession p) throws IOException, InterruptedException {
        CommandLoop.run(this, p, e -> e == saslEnded);
    }

    /** False when the connection must be closed without a word (see {@link ProxyHeaderStep}). */
    private boolean proxyHeader() {
        ProxyHeaderStep.Result r = ProxyHeaderStep.read(client, listener, limits.proxyHeaderTimeout());
        if (r.refused() != null) {
            outcome = r.refused();
            return false;
        }
        proxyHeader = r.header();
        if (proxyHeader.hasAddresses()) {
            clientAddress = proxyHeader.source();
            localAddress = proxyHeader.destination();
        }
        return true;
    }

    /**
     * Whether a line of ours is in its place now (see {@link InternalErrorReply}): not
     * once the backend has the client, not in an unfinished TLS handshake, not on an
     * implicit-TLS connection before its handshake.
     */
    private boolean atOurPrompt() {
        if (handedOver || handshaking) return false;
        return tls != null || !listener.tls().implicit();
    }

    private Outcome ended(IOException e) {
        if (client.lifetimeOver() && (client.writeStalled() || e instanceof SocketTimeoutException)) {
            return Outcome.LOGIN_TIMEOUT;
        }
        if (client.writeStalled()) return Outcome.WRITE_STALLED;
        if (e instanceof SocketException) return Outcome.CLIENT_GONE;
        return Outcome.CLIENT_ERROR;
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
    public InetSocketAddress clientAddress() { return clientAddress; }

    @Override
    public InetSocketAddress localAddress() {
        if (localAddress == null) localAddress = client.local(); // a PROXY header may have set it
        return localAddress;
    }

    /** The PROXY header this connection came with, or null. */
    ProxyHeader proxy() { return proxyHeader; }

    // made on each call, not kept: a field would cost every held session its bytes for hours
    @Override
    public String sessionId() { return Long.toString(id, 36) + "-" + Long.toString(startNanos & 0xffffff, 36); }

    @Override
    public TlsFacts tls() { return tls; }

    @Override
    public boolean tlsRequired() {
        return listener.tls().starttls() == ListenerTls.StartTls.ONLY && tls == null;
    }

    @Override
    public boolean canStartTls() { return listener.tls().offersStartTls() && tls == null; }

    @Override
    public void startTls() throws IOException {
        client.discardBuffered();
        handshake();
    }

    /** The TLS handshake on the client connection: implicit TLS, or after a STARTTLS go-ahead. */
    private void handshake() throws IOException {
        SSLSocket s;
        handshaking = true;
        try {
            s = listener.tls().server().handshake(client.socket(), client.withinLifetime(limits.timeout()));
        } catch (TlsHandshakeException e) {
            meters.clientTlsFailed.inc();
            if (trace != null) trace.event("client", "TLS handshake failed");
            throw e;
        }
        meters.clientTlsOk.inc();
        client.replaceSocket(s);
        handshaking = false;
        tls = listener.tls().server().facts(s);
        if (trace != null) trace.event("client", "TLS established: " + tls.protocol());
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
        String identity = tls == null ? null : tls.identity().orElse(null);
        saslMechanism = mechanism.toUpperCase(java.util.Locale.ROOT);
        try {
            return SaslServer.authenticate(mechanism, initialResponse, challenger, identity, serverName());
        } catch (IOException e) {
            saslEnded = e; // an overlong line inside the exchange has its own reply
            throw e;
        } catch (SaslException e) {
            if (e.kind() == SaslException.Kind.MALFORMED || e.kind() == SaslException.Kind.REFUSED) {
                // an attempt that never reached the router: a mechanism the listener offers, so a known label
                // named as auth_http's Auth-Method, as a finished exchange would be (README, "Audit
                // log"): SASL LOGIN carries a plain password
                String mech = mechanism.toLowerCase(java.util.Locale.ROOT);
                if (mech.equals("login")) mech = "plain";
                meters.login(mech, SessionMeters.FAILED);
                Audit.attempt(this, null, mech, Audit.NOT_ASKED, null, SessionMeters.FAILED,
                        "sasl-" + e.kind().name().toLowerCase(java.util.Locale.ROOT), null);
            }
            saslMechanism = null;
            throw e;
        }
    }

    @Override
    public Next login(Credentials c, LoginRequest.SmtpFacts smtp, BackendLogin backend, Challenger challenger)
            throws IOException, InterruptedException {
        try {
            return login.attempt(c, smtp, backend, challenger);
        } finally {
            saslMechanism = null; // the next attempt may be a LOGIN command
        }
    }

    /** For the audit line: the SASL mechanism of the attempt under way (PLAIN, LOGIN, ...), or null. */
    String saslMechanism() { return saslMechanism; }

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

    /** The backend to relay to once the protocol session has returned. */
    void relayAfterReturn(Connection b) {
        relayTo = b;
        handedOver = true;
    }

    /** Sleeps a router's wait (auth_http Auth-Wait); a stopping server interrupts it. */
    void sleep(Duration d) throws InterruptedException {
        Thread.sleep(d);
    }

    private void relay(Connection b) throws IOException {
        // TCP keepalive only for what may idle for hours (set here, not per accept: a
        // connection that never logs in is bounded by limits.timeout and needs none)
        client.socket().setKeepAlive(true);
        SessionTrace t = trace;
        if (t != null && (!t.loggedIn() || !t.relayStarting())) {
            client.tap(null);
            b.tap(null);
        }
        Relay rl = new Relay(client, b, limits.proxyTimeout(), limits.halfCloseTimeout(), listener.relayBufferSize(),
                watchdog).meter(meters.up::inc, meters.down::inc).responses(replies.responseSyntax());
        relay = rl;
        // a kick that came while the login was finishing (kick() saw no relay yet)
        String from = kickedFrom;
        Placement at = login.placement();
        if (from != null && at != null && from.equals(at.server())) rl.kick(kickLine(), limits.halfCloseTimeout(), this::kickedOff);
        Relay.Result r = rl.run(Thread.currentThread().getName());
        up += r.clientToBackend();
        down += r.backendToClient();
        outcome = Outcome.of(r.end());
    }

    // ---- for the server

    /**
     * The session's one log line (never a password). Every value a client or a router chose
     * goes through LogSafe.value: quoted and escaped, so no field can be forged
     * (docs/SECURITY.md, "Log lines cannot be forged").
     */
    public String logLine() {
        return listener.protocol().id() + " id=" + sessionId() + " client=" + Addresses.hostPort(clientAddress)
                + (proxyHeader != null && proxyHeader.hasAddresses() ? " via=" + Addresses.hostPort(client.remote()) : "")
                + " user=" + LogSafe.value(user) + " backend=" + LogSafe.value(login.backendName()) + " up=" + up + " down=" + down
                + " ms=" + Duration.ofNanos(System.nanoTime() - startNanos).toMillis()
                + (tls == null ? "" : " tls=" + tls.protocol()) + " outcome=" + outcome;
    }

    /** What the admin's session list shows; any thread. */
    public SessionInfo info() {
        Relay r = relay;
        return new SessionInfo(sessionId(), listener.protocol().id(), listener.name(), Addresses.hostPort(clientAddress),
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
    public boolean kick(Runnable released) {
        Placement at = login.placement();
        if (at == null || kickedFrom != null) return false;
        afterKick = released;
        kickedFrom = at.server();
        Relay r = relay;
        if (r != null) r.kick(kickLine(), limits.halfCloseTimeout(), this::kickedOff);
        return true;
    }

    private volatile Runnable afterKick;

    /** On the relay's thread, the backend closed: the place on the server goes back before the kick's line. */
    private void kickedOff() {
        login.closeBackend();
        Runnable r = afterKick;
        if (r != null) r.run();
    }

    private byte[] kickLine() {
        Replies r = replies;
        return r == null ? new byte[0] : r.kicked().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

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
