package mailproxy.tls;

import java.nio.file.Path;
import java.util.List;

/**
 * TLS from the proxy to one backend (implicit TLS or after the backend's STARTTLS/STLS).
 *
 * @param verify check the backend's certificate chain and host name. There is no default
 *     here on purpose: configuration must default to {@code true} and {@code false} must be
 *     written out by the operator.
 * @param caFile PEM file of the CAs to trust; null means the JDK's system trust store.
 *     Must be null when verify is false (a CA that is never checked would mislead).
 * @param clientCertificate certificate to present when the backend asks; null for none
 * @param serverName host name sent in SNI and checked against the backend's certificate
 *     (RFC 6125, as HTTPS does). Null: no SNI, and the certificate must name the backend's
 *     IP address (SAN iPAddress). An IP literal here is checked the same way, without SNI
 *     (RFC 6066 §3 forbids IP addresses in SNI).
 * @param protocols enabled protocol versions; null means TLSv1.3 and TLSv1.2
 */
public record BackendTlsSettings(boolean verify, Path caFile, CertificateSource clientCertificate,
        String serverName, List<String> protocols) {

    public BackendTlsSettings {
        protocols = protocols == null ? ServerTlsSettings.DEFAULT_PROTOCOLS : List.copyOf(protocols);
        if (serverName != null && serverName.isBlank()) {
            serverName = null;
        }
    }

    /** Verify against the system trust store and {@code serverName}; no client certificate. */
    public static BackendTlsSettings verified(String serverName) {
        return new BackendTlsSettings(true, null, null, serverName, null);
    }
}
