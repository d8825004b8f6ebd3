package mailproxy.tls;

/**
 * Which TLS implementation serves client-facing TLS (implicit TLS and STARTTLS on the
 * listeners). Backend TLS always uses the JDK.
 */
public enum TlsProvider {
    /**
     * {@link #OPENSSL} where its native library loads (Linux x86_64 and aarch64), else
     * {@link #JDK} with a warning: the default.
     */
    AUTO,
    /** The JDK's own TLS (SunJSSE): nothing native. */
    JDK,
    /**
     * BoringSSL through netty's OpenSSL {@code SSLEngine} (netty-tcnative, bundled for Linux
     * x86_64 and aarch64), run over the blocking socket by {@link EngineSocket}: about a
     * third of the JDK's CPU per handshake.
     */
    OPENSSL;

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TlsProvider.class);
    private static volatile boolean fallbackTold;

    /** Why this provider cannot run on this machine, or null when it can (AUTO always can). */
    public String unavailable() {
        return this == OPENSSL ? OpenSslServer.unavailable() : null;
    }

    /** The provider that serves: AUTO becomes OPENSSL or JDK; the fallback is told once per process. */
    public TlsProvider resolved() {
        return this == AUTO ? resolved(OpenSslServer.unavailable()) : this;
    }

    /** {@link #resolved()} on a machine where BoringSSL cannot load for {@code why} (null: it can). */
    TlsProvider resolved(String why) {
        if (this != AUTO) return this;
        if (why == null) return OPENSSL;
        if (!fallbackTold) {
            fallbackTold = true;
            LOG.warn("tls-provider = auto: {}; client TLS by the JDK instead (set tls-provider = jdk to say so)", why);
        }
        return JDK;
    }
}
