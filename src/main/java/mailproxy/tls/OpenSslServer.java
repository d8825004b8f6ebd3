package mailproxy.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.KeyManagerFactoryWrapper;
import io.netty.util.ReferenceCounted;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * {@link TlsProvider#OPENSSL}: a listener's BoringSSL context (netty's reference-counted
 * OpenSSL context) and one engine per connection, run by {@link EngineSocket}.
 *
 * <p>Certificates are chosen by the same {@link SniKeyManager} as with the JDK: netty asks
 * it {@code chooseEngineServerAlias} per key type during the handshake, with the engine's
 * handshake session carrying the SNI name. The chosen key and chain are turned into
 * BoringSSL's form once per alias and cached (netty's caching key manager factory), not per
 * handshake. BoringSSL never renegotiates as a server, so a client's renegotiation attempt
 * fails as with the JDK's setting in {@link TlsServer#refuseClientRenegotiation}.
 */
final class OpenSslServer {
    private static final Cleaner CLEANER = Cleaner.create();
    /** BoringSSL's TLS 1.3 suites: always all of them, they cannot be chosen. */
    static final Set<String> TLS13_SUITES = Set.of(
            "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256");

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OpenSslServer.class);
    private static volatile boolean announced;

    private final SslContext context;

    private OpenSslServer(SslContext context) {
        this.context = context;
    }

    /** Why the native library cannot be used here, or null when it can. */
    static String unavailable() {
        if (OpenSsl.isAvailable()) return null;
        Throwable cause = OpenSsl.unavailabilityCause();
        return "the BoringSSL library bundled for Linux x86_64 and aarch64 cannot be loaded on "
                + System.getProperty("os.name") + "/" + System.getProperty("os.arch")
                + (cause == null ? "" : " (" + Sockets.oneLine(cause) + ")");
    }

    static OpenSslServer create(List<KeyMaterial> entries, String[] protocols, List<String> ciphers,
            ServerTlsSettings.ClientAuth clientAuth, X509ExtendedTrustManager trust) throws TlsConfigException {
        String why = unavailable();
        if (why != null) throw new TlsConfigException("tls-provider = openssl: " + why);
        for (KeyMaterial m : entries) {
            String type = m.keyType();
            if (!type.equals("RSA") && !type.equals("EC")) {
                throw new TlsConfigException(m.origin() + ": a " + type + " key cannot be served with"
                        + " tls-provider = openssl (RSA and EC keys only); use tls-provider = jdk for it");
            }
        }
        List<String> protocolList = new ArrayList<>(List.of(protocols));
        if (!ciphers.isEmpty()) {
            List<String> tls13 = ciphers.stream().filter(TLS13_SUITES::contains).toList();
            if (!tls13.isEmpty() && tls13.size() < TLS13_SUITES.size()) {
                throw new TlsConfigException("tls ciphers: BoringSSL (tls-provider = openssl) cannot choose among"
                        + " the TLS 1.3 suites, it always uses all of " + TLS13_SUITES.stream().sorted().toList()
                        + ": list all three or none");
            }
            for (String c : ciphers) {
                if (!TLS13_SUITES.contains(c) && !OpenSsl.availableJavaCipherSuites().contains(c)) {
                    throw new TlsConfigException("tls ciphers: unknown cipher suite " + c + " for BoringSSL"
                            + " (use IANA names such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)");
                }
            }
            // As with the JDK: a list without TLS 1.3 suites leaves TLS 1.3 nothing to use.
            if (tls13.isEmpty()) protocolList.remove("TLSv1.3");
            if (protocolList.isEmpty()) {
                throw new TlsConfigException("tls ciphers: no suite for the enabled protocols " + List.of(protocols));
            }
        }
        try {
            SslContextBuilder b = SslContextBuilder.forServer(new OpenSslCachingX509KeyManagerFactory(
                            new KeyManagerFactoryWrapper(new SniKeyManager(entries))))
                    .sslProvider(SslProvider.OPENSSL_REFCNT)
                    .protocols(protocolList)
                    .clientAuth(switch (clientAuth) {
                        case NONE -> ClientAuth.NONE;
                        case OPTIONAL -> ClientAuth.OPTIONAL;
                        case REQUIRED -> ClientAuth.REQUIRE;
                    });
            if (!ciphers.isEmpty()) b.ciphers(ciphers);
            if (trust != null) {
                b.trustManager(clientAuth == ServerTlsSettings.ClientAuth.OPTIONAL ? Trust.lenientClients(trust) : trust);
            }
            SslContext ctx = b.build();
            if (!announced) {
                announced = true;
                LOG.info("client TLS by {} (netty-tcnative)", OpenSsl.versionString());
            }
            OpenSslServer server = new OpenSslServer(ctx);
            // The context's native memory goes when the listener's settings are dropped (a
            // reload); each engine holds a reference of its own until it is released.
            if (ctx instanceof ReferenceCounted rc) CLEANER.register(server, rc::release);
            return server;
        } catch (SSLException | RuntimeException e) {
            throw new TlsConfigException("cannot set up TLS (openssl): " + Sockets.oneLine(e), e);
        }
    }

    /** A new engine over {@code plain}; the socket owns both (its close releases the engine). */
    SSLSocket layer(Socket plain) throws TlsHandshakeException {
        SSLEngine engine = context.newEngine(ByteBufAllocator.DEFAULT);
        try {
            return new EngineSocket(plain, engine);
        } catch (IOException e) {
            ((ReferenceCounted) engine).release();
            Sockets.closeQuietly(plain);
            throw new TlsHandshakeException("TLS on " + Sockets.peer(plain) + " failed: " + e.getMessage(), e);
        }
    }
}
