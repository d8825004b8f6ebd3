package mailproxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import mailproxy.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * Every test of {@link TlsServerTest} again with {@code tls-provider = openssl} (BoringSSL
 * through {@link EngineSocket}), and what differs.
 */
@Timeout(120)
@EnabledIf("mailproxy.testing.TestPki#opensslAvailable")
class OpenSslTlsServerTest extends TlsServerTest {
    @Override
    TlsProvider provider() {
        return TlsProvider.OPENSSL;
    }

    /** netty's engine asks the key manager for RSA and EC keys only: an Ed25519 one is refused at startup. */
    @Override
    @Test
    void pkcs1Pkcs12AndEd25519ServeHandshakes() throws Exception {
        TlsServer server = create(ServerTlsSettings.of(
                new CertificateSource.Pem(pki.pkcs1.cert(), pki.pkcs1.key()),
                new CertificateSource.Pkcs12(pki.p12, TestPki.PASSWORD)));
        assertEquals("CN=pkcs1.example.net", presentedCn(server, "pkcs1.example.net"));
        assertEquals("CN=p12.example.org", presentedCn(server, "p12.example.org"));
        String ed = assertThrows(TlsConfigException.class, () -> create(ServerTlsSettings.of(
                new CertificateSource.Pem(pki.ed.cert(), pki.ed.key())))).getMessage();
        assertTrue(ed.contains("EdDSA key cannot be served with tls-provider = openssl"), ed);
    }

    /**
     * Memory of an idle session: netty-tcnative mallocs this buffer per engine for its whole
     * life; 1 KB rather than netty's 2 KB (bench/RESULTS.md, "Issue 22: idle TLS memory taken
     * apart"). What outgrows it (a chain, tickets with a client certificate) goes out through
     * the next wrap: SessionResumptionTest#clientCertificateSessionResumes.
     */
    @Test
    void enginesKeepAOneKilobyteNonApplicationBuffer() throws Exception {
        assertEquals(1024, create(ServerTlsSettings.of(rsa)).openssl.nonApplicationBufferSize());
    }

    @Test
    void tls13SuitesAreAllOrNone() throws Exception {
        String some = assertThrows(TlsConfigException.class, () -> create(new ServerTlsSettings(
                List.of(rsa), null, List.of("TLS_AES_256_GCM_SHA384"), null, null))).getMessage();
        assertTrue(some.contains("cannot choose among the TLS 1.3 suites"), some);
        TlsServer all = create(new ServerTlsSettings(List.of(rsa), null, List.of("TLS_AES_128_GCM_SHA256",
                "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
                null, null));
        assertEquals("TLSv1.3", connect(all, client(null, null), null).protocol());
        // Only TLS 1.2 suites: TLS 1.3 has none left, as with the JDK.
        TlsServer only12 = create(new ServerTlsSettings(List.of(rsa), null,
                List.of("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"), null, null));
        TlsFacts f = connect(only12, client(null, null), null);
        assertEquals("TLSv1.2", f.protocol());
        assertEquals("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", f.cipher());
    }
}
