package mailproxy.tls;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a certificate chain and its private key come from: two PEM files, or one PKCS#12
 * keystore. Used for the proxy's server certificates and for its client certificate
 * towards a backend. Only paths are held here; the files are read when a {@link TlsServer}
 * or {@link TlsClient} is created.
 */
public sealed interface CertificateSource {

    /**
     * A PEM certificate chain (leaf first, then intermediates) and a PEM private key
     * (PKCS#8, PKCS#1 RSA or SEC1 EC, unencrypted). Both may name the same file.
     */
    record Pem(Path certificateChain, Path privateKey) implements CertificateSource {
        public Pem {
            Objects.requireNonNull(certificateChain, "certificateChain");
            Objects.requireNonNull(privateKey, "privateKey");
        }
    }

    /**
     * A PKCS#12 keystore; its first entry with a private key is used. The password opens
     * the store and the key (keytool and openssl use one password for both).
     */
    record Pkcs12(Path file, String password) implements CertificateSource {
        public Pkcs12 {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(password, "password");
        }

        /** Never shows the password (records print every field by default). */
        @Override
        public String toString() {
            return "Pkcs12[file=" + file + ", password=***]";
        }
    }
}
