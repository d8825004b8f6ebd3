package mailproxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import mailproxy.testing.KeyFormatCertificates;
import mailproxy.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;

/** PEM and PKCS#12 loading, and the startup errors an operator sees. */
@Timeout(120)
@EnabledIf("mailproxy.testing.TestPki#opensslAvailable")
class KeyLoadingTest {
    static final KeyFormatCertificates pki = KeyFormatCertificates.shared();

    private static KeyMaterial pem(Path cert, Path key) throws TlsConfigException {
        return KeyMaterial.load(new CertificateSource.Pem(cert, key));
    }

    private static String error(Path cert, Path key) {
        return assertThrows(TlsConfigException.class, () -> pem(cert, key)).getMessage();
    }

    @Test
    void rsaPkcs8() throws Exception {
        KeyMaterial m = pem(pki.rsa.cert(), pki.rsa.key());
        assertTrue(Files.readString(pki.rsa.key()).startsWith("-----BEGIN PRIVATE KEY-----"));
        assertEquals("RSA", m.keyType());
        assertEquals(List.of("imap.example.org"), m.hostNames());
    }

    @Test
    void rsaPkcs1IsWrappedToPkcs8() throws Exception {
        assertTrue(Files.readString(pki.pkcs1.key()).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
        KeyMaterial m = pem(pki.pkcs1.cert(), pki.pkcs1.key());
        assertEquals("RSA", m.keyType());
        assertEquals(List.of("pkcs1.example.net"), m.hostNames(), "CN when there is no SAN");
    }

    @Test
    void ecSec1IsWrappedWithItsCurve() throws Exception {
        assertTrue(Files.readString(pki.ec.key()).startsWith("-----BEGIN EC PRIVATE KEY-----"));
        KeyMaterial m = pem(pki.ec.cert(), pki.ec.key());
        assertEquals("EC", m.keyType());
        assertEquals(List.of("*.other.test"), m.hostNames());
    }

    @Test
    void ecInPkcs8() throws Exception {
        Path pk8 = pki.file("ec-pk8.key");
        pki.openssl("pkcs8", "-topk8", "-nocrypt", "-in", pki.ec.key(), "-out", pk8);
        assertEquals("EC", pem(pki.ec.cert(), pk8).keyType());
    }

    @Test
    void ed25519() throws Exception {
        assertEquals("EdDSA", pem(pki.ed.cert(), pki.ed.key()).keyType());
    }

    @Test
    void certificateAndKeyInOneFileAndAChain() throws Exception {
        Path both = pki.write("both.pem", Files.readString(pki.client.cert()) + Files.readString(pki.ca.cert())
                + Files.readString(pki.client.key()));
        KeyMaterial m = pem(both, both);
        assertEquals(2, m.chain().size());
        assertEquals("CN=Test CA", m.chain().get(1).getSubjectX500Principal().getName());
    }

    @Test
    void pkcs12FromKeytool() throws Exception {
        KeyMaterial m = KeyMaterial.load(new CertificateSource.Pkcs12(pki.p12, TestPki.PASSWORD));
        assertEquals("EC", m.keyType());
        assertEquals(List.of("p12.example.org"), m.hostNames());
    }

    @Test
    void pkcs12WrongPassword() {
        String msg = assertThrows(TlsConfigException.class, () -> KeyMaterial.load(
                new CertificateSource.Pkcs12(pki.p12, "wrong"))).getMessage();
        assertTrue(msg.startsWith(pki.p12 + ": "), msg);
        assertTrue(msg.contains("wrong password"), msg);
        assertTrue(!new CertificateSource.Pkcs12(pki.p12, "secret").toString().contains("secret"));
    }

    @Test
    void keyOfAnotherCertificateIsAStartupError() {
        String rsa = error(pki.rsa.cert(), pki.pkcs1.key());
        assertTrue(rsa.contains(pki.pkcs1.key() + ": private key does not match certificate " + pki.rsa.cert()), rsa);
        String ec = error(pki.ec.cert(), pki.client.key()); // two P-256 keys: the signature check
        assertTrue(ec.contains("does not match") && ec.contains("different public keys"), ec);
        String types = error(pki.ec.cert(), pki.rsa.key());
        assertTrue(types.contains("key is RSA, certificate has EC"), types);
    }

    @Test
    void encryptedKeysAreRefusedAndSaySo() throws Exception {
        Path pk8 = pki.file("enc-pk8.key");
        pki.openssl("pkcs8", "-topk8", "-in", pki.ec.key(), "-out", pk8, "-passout", "pass:x");
        String msg = error(pki.ec.cert(), pk8);
        assertTrue(msg.startsWith(pk8 + ": private key is encrypted"), msg);
        Path legacy = pki.file("enc-legacy.key");
        pki.openssl("ec", "-in", pki.ec.key(), "-aes128", "-passout", "pass:x", "-out", legacy);
        msg = error(pki.ec.cert(), legacy);
        assertTrue(msg.contains("encrypted (Proc-Type: 4,ENCRYPTED)"), msg);
    }

    @Test
    void missingPiecesNameTheFile() {
        String noCert = error(pki.rsa.key(), pki.rsa.key());
        assertTrue(noCert.startsWith(pki.rsa.key() + ": no certificate"), noCert);
        String noKey = error(pki.rsa.cert(), pki.rsa.cert());
        assertTrue(noKey.startsWith(pki.rsa.cert() + ": no private key"), noKey);
        Path missing = pki.file("nope.pem");
        String unreadable = error(missing, pki.rsa.key());
        assertTrue(unreadable.startsWith(missing + ": cannot read certificate file"), unreadable);
    }

    @Test
    void unsupportedKeyTypesAndFormats() throws Exception {
        Path x25519 = pki.file("x25519.key");
        pki.openssl("genpkey", "-algorithm", "X25519", "-out", x25519);
        String msg = error(pki.rsa.cert(), x25519);
        assertTrue(msg.contains("unsupported key type X25519"), msg);
        Path ssh = pki.write("ssh.key", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n");
        msg = error(pki.rsa.cert(), ssh);
        assertTrue(msg.contains("unsupported key format BEGIN OPENSSH PRIVATE KEY"), msg);
        Path junk = pki.write("junk.key", "-----BEGIN PRIVATE KEY-----\nMIIB!!\n-----END PRIVATE KEY-----\n");
        msg = error(pki.rsa.cert(), junk);
        assertTrue(msg.contains("not valid base64"), msg);
        Path cut = pki.write("cut.key", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n");
        msg = error(pki.rsa.cert(), cut);
        assertTrue(msg.startsWith(cut + ": malformed PRIVATE KEY"), msg);
    }

    @Test
    void derOidRoundTrip() {
        for (String oid : List.of("1.2.840.10045.3.1.7", "1.3.132.0.34", "1.3.101.112", "2.999.1")) {
            assertEquals(oid, Der.oidToString(Der.read(Der.oid(oid)).value()));
        }
    }
}
