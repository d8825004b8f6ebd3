package mailproxy.tls;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * TLS for one listener (implicit TLS or STARTTLS), as configured.
 *
 * @param certificates server certificates, at least one. The first is the default: it is
 *     presented when the client sends no SNI or a name no certificate answers for. Others
 *     are picked by SNI against their SAN DNS names (or the CN when a certificate has no
 *     SAN DNS names); {@code *.example.org} matches one label.
 * @param protocols enabled protocol versions; null means {@link #DEFAULT_PROTOCOLS}. Only
 *     TLSv1.3 and TLSv1.2 are accepted (RFC 8996).
 * @param ciphers enabled cipher suites by IANA/JDK name; null or empty means JDK defaults
 * @param clientAuth whether to ask for a client certificate; null means {@link ClientAuth#NONE}
 * @param clientCaFile PEM file of the CAs that client certificates must chain to; required
 *     unless clientAuth is NONE
 * @param provider the TLS implementation; null means {@link TlsProvider#JDK}
 * @param resumption session cache and tickets; null means {@link SessionResumption#DEFAULT}
 */
public record ServerTlsSettings(List<CertificateSource> certificates, List<String> protocols,
        List<String> ciphers, ClientAuth clientAuth, Path clientCaFile, TlsProvider provider,
        SessionResumption resumption) {

    public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /** Like nginx {@code ssl_verify_client off | optional | on}. */
    public enum ClientAuth {
        /** No certificate is requested. */
        NONE,
        /**
         * A certificate is requested; the handshake succeeds without one, and also with one
         * that fails verification: {@link TlsFacts#verify()} then says {@code FAILED:...}
         * and the caller decides (nginx mail closes such a session, see its
         * {@code ngx_mail_verify_cert}).
         */
        OPTIONAL,
        /** A certificate that verifies is required, or the handshake fails. */
        REQUIRED
    }

    public ServerTlsSettings {
        Objects.requireNonNull(certificates, "certificates");
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException("at least one server certificate is needed");
        }
        certificates = List.copyOf(certificates);
        protocols = protocols == null ? DEFAULT_PROTOCOLS : List.copyOf(protocols);
        ciphers = ciphers == null ? List.of() : List.copyOf(ciphers);
        clientAuth = clientAuth == null ? ClientAuth.NONE : clientAuth;
        provider = provider == null ? TlsProvider.JDK : provider;
        resumption = resumption == null ? SessionResumption.DEFAULT : resumption;
    }

    /** With the default session resumption. */
    public ServerTlsSettings(List<CertificateSource> certificates, List<String> protocols,
            List<String> ciphers, ClientAuth clientAuth, Path clientCaFile, TlsProvider provider) {
        this(certificates, protocols, ciphers, clientAuth, clientCaFile, provider, null);
    }

    /** With the JDK's TLS. */
    public ServerTlsSettings(List<CertificateSource> certificates, List<String> protocols,
            List<String> ciphers, ClientAuth clientAuth, Path clientCaFile) {
        this(certificates, protocols, ciphers, clientAuth, clientCaFile, TlsProvider.JDK);
    }

    /** Defaults for everything but the certificates; no client certificates. */
    public static ServerTlsSettings of(CertificateSource... certificates) {
        return new ServerTlsSettings(List.of(certificates), null, null, ClientAuth.NONE, null);
    }

    /** The same settings asking for client certificates signed by the CAs in {@code caFile}. */
    public ServerTlsSettings withClientAuth(ClientAuth mode, Path caFile) {
        return new ServerTlsSettings(certificates, protocols, ciphers, mode, caFile, provider, resumption);
    }

    /** The same settings served by {@code p}. */
    public ServerTlsSettings withProvider(TlsProvider p) {
        return new ServerTlsSettings(certificates, protocols, ciphers, clientAuth, clientCaFile, p, resumption);
    }

    /** The same settings with session cache and tickets as {@code r}. */
    public ServerTlsSettings withResumption(SessionResumption r) {
        return new ServerTlsSettings(certificates, protocols, ciphers, clientAuth, clientCaFile, provider, r);
    }
}
