package mailproxy.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import mailproxy.config.ConfigLoader;
import mailproxy.config.Limits;
import mailproxy.config.ListenerConfig;
import mailproxy.config.ListenerTls;
import mailproxy.config.ProxyConfig;
import mailproxy.route.LoginRequest;
import mailproxy.route.Route;
import mailproxy.sasl.Challenger;
import mailproxy.sasl.Credentials;
import mailproxy.sasl.SaslException;
import mailproxy.sasl.SaslServer;
import mailproxy.session.BackendLogin;
import mailproxy.session.Backends;
import mailproxy.session.CommandLoop;
import mailproxy.session.Next;
import mailproxy.session.Outcome;
import mailproxy.session.ProtocolSession;
import mailproxy.session.Session;
import mailproxy.tls.TlsFacts;
import mailproxy.wire.Connection;

/**
 * A fake {@link Session} for testing one protocol session on its own: no router, no pool,
 * no guard, no backend. The protocol session runs in the one command loop
 * ({@link CommandLoop}) on its own thread, over a loopback socket whose other end is a
 * {@link RawClient} that plays the test's C:/S: transcript; the fake records what the
 * protocol asked of the session: the logins it handed over (credentials and the
 * {@link BackendLogin} it made) and the outcome it set. A login is refused the way a
 * router with a wait refuses it: the protocol's own rejected() reply, and the client may
 * try again.
 */
public final class FakeSession implements Session, AutoCloseable {
    /** One call of {@link Session#login}. */
    public record LoginCall(Credentials credentials, LoginRequest.SmtpFacts smtp, BackendLogin backend,
                            Challenger challenger) {}

    /** What a refused login's reply says (the router's Auth-Status). */
    public static final String REFUSAL = "Invalid login or password";

    private final ProxyConfig config;
    private final ListenerConfig listener;
    private final Connection client;
    private final RawClient peer;
    private final List<LoginCall> logins = new CopyOnWriteArrayList<>();
    private final List<Outcome> outcomes = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile Throwable failure;

    private FakeSession(ProxyConfig config, Socket server, Socket peer, Function<Session, ProtocolSession> protocol)
            throws IOException {
        this.config = config;
        this.listener = config.listeners().get(0);
        this.client = new Connection(server, 1024);
        this.peer = new RawClient(peer);
        ProtocolSession p = protocol.apply(this);
        this.thread = Thread.ofVirtual().name("fake session").start(() -> {
            try {
                CommandLoop.run(this, p);
            } catch (Throwable t) {
                failure = t;
            } finally {
                client.close();
            }
        });
    }

    /**
     * Starts {@code protocol} on a fresh connection. The proxy's config is "proxy.test",
     * limits.max-errors = 3, and one listener of {@code protocolId} with the keys
     * {@code listenerKeys} (e.g. {@code auth = [plain]}).
     */
    public static FakeSession start(String protocolId, String listenerKeys, Function<Session, ProtocolSession> protocol)
            throws IOException {
        ProxyConfig config = ConfigLoader.parse("""
                mailproxy {
                  server-name = "proxy.test"
                  limits { timeout = 10s, max-errors = 3, line-length = 200 }
                  backends { b { host = "127.0.0.1", %1$s { port = 1 %3$s } } }
                  routers { r { type = static, default = b } }
                  listeners = [ { name = fake, protocol = %1$s, listen = "127.0.0.1:0" %2$s } ]
                }
                """.formatted(protocolId, listenerKeys, protocolId.equals("smtp") ? ", auth = plain" : ""),
                "fake-session.conf");
        try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Socket peer = new Socket(ss.getInetAddress(), ss.getLocalPort());
            Socket server = ss.accept();
            return new FakeSession(config, server, peer, protocol);
        }
    }

    /**
     * Plays one whole dialogue: starts {@code protocol} as {@link #start} does, plays
     * {@code transcript} on the client's end (it ends with the session closing), and asserts
     * that the session ended with {@code outcome}. The logins it handed over, in order.
     */
    public static List<LoginCall> dialogue(String protocolId, String listenerKeys,
                                           Function<Session, ProtocolSession> protocol,
                                           String transcript, Outcome outcome) throws Exception {
        try (FakeSession s = start(protocolId, listenerKeys, protocol)) {
            s.peer().transcript(transcript);
            assertEquals(outcome, s.ended());
            return s.logins();
        }
    }

    /** The client's end: C:/S: transcripts ({@link RawClient#transcript}). */
    public RawClient peer() throws IOException { return peer.timeout(10_000); }

    /** The logins the protocol handed to the session, in order. */
    public List<LoginCall> logins() { return List.copyOf(logins); }

    /** Waits for the protocol session to end; the last outcome it set, or null for none. */
    public Outcome ended() throws Exception {
        if (!thread.join(Duration.ofSeconds(10))) throw new AssertionError("the protocol session did not end");
        if (failure != null) throw new AssertionError("the protocol session failed", failure);
        return outcomes.isEmpty() ? null : outcomes.get(outcomes.size() - 1);
    }

    @Override
    public void close() throws IOException {
        peer.close();
        client.close();
    }

    // ---- Session

    @Override
    public Connection client() { return client; }

    @Override
    public ListenerConfig listener() { return listener; }

    @Override
    public Limits limits() { return listener.limits(); }

    @Override
    public String serverName() { return config.serverName(); }

    @Override
    public InetSocketAddress clientAddress() { return client.remote(); }

    @Override
    public InetSocketAddress localAddress() { return client.local(); }

    @Override
    public String sessionId() { return "fake-1"; }

    @Override
    public TlsFacts tls() { return null; }

    @Override
    public boolean tlsRequired() { return listener.tls().starttls() == ListenerTls.StartTls.ONLY; }

    @Override
    public boolean canStartTls() { return listener.tls().offersStartTls(); }

    @Override
    public void startTls() { throw new UnsupportedOperationException("the fake session has no TLS"); }

    @Override
    public String readLine() throws IOException {
        String line = client.readLine(limits().lineLength());
        if (line == null) throw new EOFException("client closed the connection");
        return line;
    }

    @Override
    public Credentials authenticate(String mechanism, String initialResponse, Challenger challenger)
            throws SaslException, IOException {
        return SaslServer.authenticate(mechanism, initialResponse, challenger, null, serverName());
    }

    @Override
    public Next login(Credentials credentials, LoginRequest.SmtpFacts smtp, BackendLogin backend, Challenger challenger)
            throws IOException {
        logins.add(new LoginCall(credentials, smtp, backend, challenger));
        backend.rejected(new Route.Reject(REFUSAL, Duration.ZERO, null));
        return Next.RETRY;
    }

    @Override
    public void outcome(Outcome outcome) { outcomes.add(outcome); }

    @Override
    public Backends backends() { throw new UnsupportedOperationException("the fake session routes nothing"); }
}
