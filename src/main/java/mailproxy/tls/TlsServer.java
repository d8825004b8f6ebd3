package mailproxy.tls;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The proxy's TLS server side for one listener, built once at startup from
 * {@link ServerTlsSettings}; immutable and safe to share between connections.
 *
 * <p>Implicit TLS (993, 995, 465): call {@link #handshake} right after accept (and after
 * a PROXY protocol header, if any), before the greeting. STARTTLS/STLS: send the
 * protocol's go-ahead reply, flush, drop everything the plaintext reader has buffered
 * (RFC 3207 §4.2, RFC 2595 §3.1, RFC 9051 §6.2.1; CVE-2014-3556), then call
 * {@link #handshake} on the same plain socket and build a new reader on the returned one.
 */
public final class TlsServer {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TlsServer.class);
    private static final Set<TlsProvider> ANNOUNCED = ConcurrentHashMap.newKeySet();
    static {
        refuseClientRenegotiation();
    }

    private final SSLContext context;
    /** Non-null with {@link TlsProvider#OPENSSL}: then {@code context} is unused (package-private for tests). */
    final OpenSslServer openssl;
    private final String[] protocols;
    private final String[] ciphers;
    private final ServerTlsSettings.ClientAuth clientAuth;
    private final X509ExtendedTrustManager clientTrust;

    private TlsServer(SSLContext context, OpenSslServer openssl, String[] protocols, String[] ciphers,
            ServerTlsSettings.ClientAuth clientAuth, X509ExtendedTrustManager clientTrust) {
        this.context = context;
        this.openssl = openssl;
        this.protocols = protocols;
        this.ciphers = ciphers;
        this.clientAuth = clientAuth;
        this.clientTrust = clientTrust;
    }

    /**
     * Refuses TLS 1.2 renegotiations a client starts (a fatal handshake_failure alert): each
     * costs the server a private-key operation and gains an honest mail client nothing, so
     * nginx, Postfix and Dovecot refuse them too (TLS 1.3 has none, RFC 8446 §4.1.2). The
     * JDK reads this property once, when its first server-side handshake starts, so it is
     * set when this class loads, which is before any listener's handshake; it holds for the
     * whole JVM. Callers that make server sockets outside this class (tests) call it first.
     */
    public static void refuseClientRenegotiation() {
        System.setProperty("jdk.tls.rejectClientInitiatedRenegotiation", "true");
    }

    /**
     * Reads every file the settings name and checks it; each problem is a
     * {@link TlsConfigException} naming the file, meant to stop startup.
     */
    public static TlsServer create(ServerTlsSettings settings) throws TlsConfigException {
        String[] protocols = Sockets.protocols(settings.protocols());
        List<KeyMaterial> entries = new ArrayList<>();
        for (CertificateSource source : settings.certificates()) {
            entries.add(KeyMaterial.load(source));
        }
        X509ExtendedTrustManager clientTrust = null;
        TrustManager[] trust = null;
        if (settings.clientAuth() != ServerTlsSettings.ClientAuth.NONE) {
            if (settings.clientCaFile() == null) {
                throw new TlsConfigException("client-auth " + settings.clientAuth().name().toLowerCase()
                        + " needs a CA file for client certificates");
            }
            clientTrust = Trust.fromPem(settings.clientCaFile());
            trust = new TrustManager[] {settings.clientAuth() == ServerTlsSettings.ClientAuth.OPTIONAL
                    ? Trust.lenientClients(clientTrust) : clientTrust};
        }
        SessionResumption resumption = settings.resumption();
        TlsProvider provider = settings.provider().resolved();
        if (provider == TlsProvider.OPENSSL) {
            OpenSslServer server = OpenSslServer.create(entries, protocols, settings.ciphers(),
                    settings.clientAuth(), clientTrust, resumption);
            announce(provider, OpenSslServer.describe());
            return new TlsServer(null, server, protocols, null, settings.clientAuth(), clientTrust);
        }
        SSLContext ctx;
        try {
            ctx = SSLContext.getInstance("TLS");
            ctx.init(new KeyManager[] {new SniKeyManager(entries)}, trust, null);
            jdkResumption(ctx.getServerSessionContext(), resumption);
        } catch (GeneralSecurityException e) {
            throw new TlsConfigException("cannot set up TLS: " + e.getMessage(), e);
        }
        String[] ciphers = Sockets.ciphers(settings.ciphers(), ctx);
        announce(provider, ctx.getProvider().getName() + " of Java " + Runtime.version().feature());
        return new TlsServer(ctx, null, protocols, ciphers, settings.clientAuth(), clientTrust);
    }

    /** The one startup line per provider that says who does the clients' TLS. */
    private static void announce(TlsProvider p, String what) {
        if (ANNOUNCED.add(p)) LOG.info("client TLS by {} (tls-provider = {})", what, p.name().toLowerCase(Locale.ROOT));
    }

    /**
     * The JDK's session cache and tickets. Its TLS 1.3 tickets (and TLS 1.2 ones, RFC 5077) are
     * stateless, sealed with keys each SSLContext makes and rotates itself: they cannot be
     * given, nor tickets turned off for one context (jdk.tls.server.enableSessionTicketExtension
     * holds for the whole JVM). Both are said at startup rather than pretended
     * (reference.conf, tls-tickets and tls-ticket-keys).
     */
    private static void jdkResumption(SSLSessionContext sessions, SessionResumption r) throws TlsConfigException {
        if (!r.tickets()) {
            throw new TlsConfigException("tls-tickets = false: the JDK's TLS (tls-provider = jdk) cannot turn session"
                    + " tickets off for one listener; use tls-provider = openssl");
        }
        if (!r.ticketKeys().isEmpty()) {
            TicketKeyFile.read(r.ticketKeys()); // still checked, so a later switch to openssl finds them valid
            LOG.warn("tls-ticket-keys: the JDK's TLS (tls-provider = jdk) cannot take ticket keys; it seals tickets"
                    + " with keys of its own, so a ticket resumes only on this instance until it restarts");
        }
        // The JDK's 0 means no limit: "off" keeps one session.
        sessions.setSessionCacheSize(Math.max(1, r.cacheSize()));
        sessions.setSessionTimeout(r.timeoutSeconds());
    }

    /**
     * Layers TLS in server mode over an accepted, connected plain socket and completes the
     * handshake. The returned socket owns {@code plain} (closing it closes both). Bytes
     * already taken from {@code plain} by a reader are not seen by TLS: that is the point
     * for STARTTLS, whose caller must throw them away.
     *
     * @param timeout bound on the whole handshake and on each read inside it
     * @throws TlsHandshakeException with a one-line message; both sockets are closed by then
     */
    public SSLSocket handshake(Socket plain, Duration timeout) throws TlsHandshakeException {
        Objects.requireNonNull(timeout, "timeout");
        if (openssl != null) {
            SSLSocket ssl = openssl.layer(plain);
            Sockets.handshake(ssl, plain, timeout);
            return ssl;
        }
        String peer = plain.getInetAddress() == null ? "unconnected" : plain.getInetAddress().getHostAddress();
        SSLSocket ssl = Sockets.layer(context, plain, peer);
        ssl.setUseClientMode(false); // first: it resets mode-dependent defaults
        SSLParameters p = ssl.getSSLParameters();
        p.setProtocols(protocols);
        if (ciphers != null) {
            p.setCipherSuites(ciphers);
        }
        switch (clientAuth) {
            case NONE -> p.setWantClientAuth(false);
            case OPTIONAL -> p.setWantClientAuth(true);
            case REQUIRED -> p.setNeedClientAuth(true);
        }
        ssl.setSSLParameters(p);
        Sockets.handshake(ssl, plain, timeout);
        return ssl;
    }

    /** The TLS implementation this listener's handshakes use. */
    public TlsProvider provider() {
        return openssl == null ? TlsProvider.JDK : TlsProvider.OPENSSL;
    }

    /** Protocol, cipher and client certificate facts of a socket from {@link #handshake}. */
    public TlsFacts facts(SSLSocket socket) {
        return TlsFacts.of(socket.getSession(), clientTrust);
    }

    @Override
    public String toString() {
        return "TlsServer[" + (openssl == null ? "" : "openssl, ") + "protocols=" + String.join(",", protocols)
                + ", clientAuth=" + clientAuth + "]";
    }
}
