package mailproxy.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.OpenSslServerSessionContext;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.KeyManagerFactoryWrapper;
import io.netty.util.ReferenceCounted;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
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
    /**
     * What netty-tcnative mallocs per engine, for life, for the records BoringSSL writes while
     * it is reading (a handshake flight, the session tickets, a KeyUpdate's answer, an alert):
     * netty's default is 2,048 bytes. What does not fit waits in BoringSSL until the next wrap
     * (the engine says NEED_WRAP), as a certificate chain already does at 2,048, so this only
     * bounds how much is copied through it. 1,024 holds the two TLS 1.3 tickets of a session
     * without client certificate and saves 1 KB per session (bench/RESULTS.md, "Issue 22:
     * idle TLS memory taken apart").
     */
    static final int NON_APPLICATION_BUFFER = 1024;
    /** BoringSSL's TLS 1.3 suites: always all of them, they cannot be chosen. */
    static final Set<String> TLS13_SUITES = Set.of(
            "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256");


    private final SslContext context;

    private OpenSslServer(SslContext context) {
        this.context = context;
    }

    /** For the startup line: BoringSSL's version, through netty-tcnative. */
    static String describe() {
        return OpenSsl.versionString() + " through netty-tcnative";
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
            ServerTlsSettings.ClientAuth clientAuth, X509ExtendedTrustManager trust, SessionResumption resumption)
            throws TlsConfigException {
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
        if (!resumption.tickets() && protocolList.contains("TLSv1.3")) {
            throw new TlsConfigException("tls-tickets = false: BoringSSL (tls-provider = openssl) issues TLS 1.3"
                    + " tickets whatever it is told; keep tickets, or turn TLS 1.3 off with tls-protocols = [\"TLSv1.2\"]");
        }
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
                    // The certificate callback and the handshake run inline in unwrap rather
                    // than as delegated tasks: EngineIo would run them at once anyway, and a
                    // task costs a round trip through the engine (bench/RESULTS.md, "Issue 22: short connections over TLS").
                    .option(OpenSslContextOption.USE_TASKS, false)
                    .protocols(protocolList)
                    .clientAuth(switch (clientAuth) {
                        case NONE -> ClientAuth.NONE;
                        case OPTIONAL -> ClientAuth.OPTIONAL;
                        case REQUIRED -> ClientAuth.REQUIRE;
                    });
            if (!ciphers.isEmpty()) b.ciphers(ciphers);
            // netty's cache of this context's sessions, for TLS 1.2 session ids; 0 turns it off below.
            b.sessionCacheSize(Math.max(1, resumption.cacheSize())).sessionTimeout(resumption.timeoutSeconds());
            if (trust != null) {
                b.trustManager(clientAuth == ServerTlsSettings.ClientAuth.OPTIONAL ? Trust.lenientClients(trust) : trust);
            }
            List<TicketKeyFile> keys = TicketKeyFile.read(resumption.ticketKeys());
            SslContext ctx = b.build();
            if (ctx instanceof ReferenceCountedOpenSslContext rc) rc.setBioNonApplicationBufferSize(NON_APPLICATION_BUFFER);
            OpenSslServerSessionContext sessions = (OpenSslServerSessionContext) ctx.sessionContext();
            sessions.setSessionIdContext(sessionIdContext(entries, clientAuth, trust));
            resume(sessions, resumption, keys);
            OpenSslServer server = new OpenSslServer(ctx);
            // The context's native memory goes when the listener's settings are dropped (a
            // reload); each engine holds a reference of its own until it is released.
            if (ctx instanceof ReferenceCounted rc) CLEANER.register(server, rc::release);
            return server;
        } catch (SSLException | RuntimeException e) {
            throw new TlsConfigException("cannot set up TLS (openssl): " + Sockets.oneLine(e), e);
        }
    }

    /**
     * What a session may be resumed under (RFC 5246 §7.4.1.2's session id context, which
     * BoringSSL checks for tickets too): these certificates and this client certificate policy.
     * netty salts its own at random when keys come from a key manager, so that no session
     * would resume on another instance even with shared ticket keys; this one is the same on
     * every instance with the same settings, and differs between listeners whose clients are
     * held to different rules.
     */
    static byte[] sessionIdContext(List<KeyMaterial> entries, ServerTlsSettings.ClientAuth clientAuth,
            X509ExtendedTrustManager trust) throws TlsConfigException {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256"); // 32 bytes: the most a context may have
            d.update(("mailproxy " + clientAuth).getBytes(StandardCharsets.US_ASCII));
            for (KeyMaterial m : entries) {
                for (X509Certificate c : m.chain()) d.update(c.getEncoded());
            }
            if (trust != null) {
                d.update((byte) 0);
                for (X509Certificate c : trust.getAcceptedIssuers()) d.update(c.getEncoded());
            }
            return d.digest();
        } catch (GeneralSecurityException e) {
            throw new TlsConfigException("cannot set up TLS (openssl): " + Sockets.oneLine(e), e);
        }
    }

    /**
     * Giving netty keys (none: BoringSSL's own, random per context and rotated by it) turns
     * TLS 1.2 tickets on; several keys: the first seals new tickets, every one opens tickets
     * whose name it has (netty-tcnative's ticket callback, as nginx's ssl_session_ticket_key).
     * Off: netty leaves TLS 1.2 tickets off. BoringSSL issues TLS 1.3 tickets whatever the
     * options say, and netty-tcnative cannot set their number for it, so tickets off with
     * TLS 1.3 is refused in {@link #create} rather than pretended.
     */
    private static void resume(OpenSslSessionContext sessions, SessionResumption r, List<TicketKeyFile> keys) {
        if (r.cacheSize() == 0) sessions.setSessionCacheEnabled(false);
        if (r.tickets()) {
            sessions.setTicketKeys(keys.stream()
                    .map(k -> new OpenSslSessionTicketKey(k.name(), k.hmacKey(), k.aesKey()))
                    .toArray(OpenSslSessionTicketKey[]::new));
        }
    }

    /** What each engine mallocs for records written while reading (tests). */
    int nonApplicationBufferSize() {
        return ((ReferenceCountedOpenSslContext) context).getBioNonApplicationBufferSize();
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
