package mailproxy.tls;

/**
 * Which TLS implementation serves client-facing TLS (implicit TLS and STARTTLS on the
 * listeners). Backend TLS always uses the JDK.
 */
public enum TlsProvider {
    /** The JDK's own TLS (SunJSSE): the default, nothing native. */
    JDK,
    /**
     * BoringSSL through netty's OpenSSL {@code SSLEngine} (netty-tcnative, bundled for Linux
     * x86_64 and aarch64), run over the blocking socket by {@link EngineSocket}: about a
     * third of the JDK's CPU per handshake.
     */
    OPENSSL;

    /** Why this provider cannot run on this machine, or null when it can. */
    public String unavailable() {
        return this == OPENSSL ? OpenSslServer.unavailable() : null;
    }
}
