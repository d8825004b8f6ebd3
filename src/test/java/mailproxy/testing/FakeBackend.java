package mailproxy.testing;

import java.io.IOException;
import java.net.SocketException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A running fake backend made by {@link FakeBackends}, and what it saw over all its
 * connections. A script failure fails {@link #close()} (see {@link ScriptedServer}).
 */
public final class FakeBackend implements AutoCloseable {
    private final List<String> received = new CopyOnWriteArrayList<>();
    private final BlockingQueue<String> logins = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> clientSubjects = new LinkedBlockingQueue<>();
    private final List<String> messages = new CopyOnWriteArrayList<>();
    private final List<byte[]> rawMessages = new CopyOnWriteArrayList<>();
    private final Map<String, String> overrides = new ConcurrentHashMap<>();
    private final BiPredicate<String, String> accounts;
    private final SSLContext tls;
    private final String name;
    private volatile FakeBackends.LmtpFailure lmtpFailure = FakeBackends.LmtpFailure.NONE;
    private final ScriptedServer server;

    FakeBackend(FakeBackends.Conversation conversation, BiPredicate<String, String> accounts, SSLContext tls, String name)
            throws IOException {
        this.accounts = accounts;
        this.tls = tls;
        this.name = name;
        this.server = new ScriptedServer(peer -> {
            // long enough for a test that holds many idle sessions open
            peer.timeout(30_000);
            try {
                conversation.run(this, peer);
            } catch (SocketException gone) {
                // the proxy (or close()) hung up: the end of this conversation, not a failure
            }
        });
    }

    public int port() { return server.port(); }

    /** Connections accepted so far. */
    public int accepted() { return server.accepted(); }

    /** Every line received, over all connections, in order (SMTP message texts apart). */
    public List<String> received() { return received; }

    /** Each login attempt as "user password", in order. */
    public BlockingQueue<String> logins() { return logins; }

    /** The next login attempt as "user password"; fails after 5 s without one. */
    public String nextLogin() throws InterruptedException {
        String l = logins.poll(5, TimeUnit.SECONDS);
        if (l == null) throw new AssertionError("the backend saw no login within 5 s");
        return l;
    }

    /** Subjects of the client certificates the proxy showed (with {@link FakeBackends.Builder#tls}). */
    public BlockingQueue<String> clientSubjects() { return clientSubjects; }

    /** SMTP: message texts received after DATA (dot-unstuffed, CRLF line ends). */
    public List<String> messages() { return messages; }

    /** LMTP: each message exactly as the proxy sent it (still dot-stuffed), without the final ".\r\n". */
    public List<byte[]> rawMessages() { return rawMessages; }

    /**
     * SMTP and LMTP: answer {@code verb} (upper case; "GREETING" for the greeting) with
     * {@code reply}, CRLFs inside; in LMTP "RCPT address" answers one recipient.
     */
    public FakeBackend override(String verb, String reply) {
        overrides.put(verb, reply);
        return this;
    }

    /** SMTP: answer {@code verb} the usual way again. */
    public FakeBackend restore(String verb) {
        overrides.remove(verb);
        return this;
    }

    String override(String verb) { return overrides.get(verb); }

    /** LMTP: how the backend breaks off from now on. */
    public FakeBackend failure(FakeBackends.LmtpFailure failure) {
        this.lmtpFailure = failure;
        return this;
    }

    FakeBackends.LmtpFailure failure() { return lmtpFailure; }

    /** The name in its greeting and replies (LMTP: "saved by NAME"). */
    String name() { return name; }

    boolean hasTls() { return tls != null; }

    /** Records the login attempt; whether it succeeds. */
    boolean login(String u, String p) {
        logins.add(u + " " + p);
        return accounts.test(u, p);
    }

    void received(String line) { received.add(line); }

    void message(String text) { messages.add(text); }

    void rawMessage(byte[] message) { rawMessages.add(message); }

    /** The server side of a TLS handshake over {@code peer}, client certificate required. */
    RawClient secure(RawClient peer) throws IOException {
        // the JDK fixes its renegotiation policy at the first server handshake in this JVM:
        // let it be the proxy's, which tests in the same JVM check
        mailproxy.tls.TlsServer.refuseClientRenegotiation();
        SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(peer.socket(), null, peer.socket().getPort(), true);
        s.setUseClientMode(false);
        s.setNeedClientAuth(true);
        s.startHandshake();
        clientSubjects.add(((X509Certificate) s.getSession().getPeerCertificates()[0])
                .getSubjectX500Principal().getName());
        return new RawClient(s).timeout(10_000);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
