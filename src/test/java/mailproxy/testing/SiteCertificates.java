package mailproxy.testing;

import java.io.IOException;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import mailproxy.testing.TestPki.Key;
import mailproxy.testing.TestPki.Pair;

/**
 * A mail site's PKI, made with {@link TestPki} as an admin would have it: a root CA, an
 * intermediate CA, server certificates whose PEM file is the chain (leaf, then
 * intermediate), keys in PKCS#8, PKCS#1 and SEC1 form, a PKCS#12 file, and client
 * certificates.
 */
public final class SiteCertificates {
    /** The name {@link #other} answers for, to be asked for with SNI. */
    public static final String OTHER_NAME = "mail.other.test";

    /** Root CA (RSA): trust anchor for clients of the proxy and for client certificates. */
    public final Path caCert;
    /** Intermediate CA (EC), signed by the root; signs {@link #server}. */
    public final Path intermediateCert;
    /**
     * The proxy's default server certificate: EC, CN=localhost, SAN DNS:localhost and
     * IP:127.0.0.1; the certificate file holds the leaf and the intermediate. Key in PKCS#8.
     */
    public final Pair server;
    /** The same certificate and key as PKCS#12 (password {@link TestPki#PASSWORD}). */
    public final Path serverP12;
    /** A second server certificate, RSA with a PKCS#1 key, SAN DNS:{@value #OTHER_NAME}; signed by the root. */
    public final Pair other;
    /** A third server certificate, EC with a SEC1 ("EC PRIVATE KEY") key, SAN DNS:ec.example.test. */
    public final Pair ec;
    /** Client certificate of bob, signed by the root: subject O=Example, CN=bob. PEM and PKCS#12. */
    public final Pair client;
    public final Path clientP12;
    /** A self-signed client certificate that also says CN=bob: the CA never signed it. */
    public final Path rogueP12;
    /** A CA that signed nothing here: trusting only it must fail every verification. */
    public final Path otherCaCert;

    private SiteCertificates(TestPki pki) throws IOException {
        Pair ca = pki.ca("ca", "/O=Example/CN=Test Root CA");
        caCert = ca.cert();
        Pair intermediate = pki.signed("intermediate", Key.EC, ca, "/O=Example/CN=Test Intermediate CA", "0x10",
                "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n");
        intermediateCert = intermediate.cert();
        Pair leaf = pki.signed("server-leaf", Key.EC, intermediate, "/CN=localhost", "0x20",
                "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
        server = new Pair(pki.concat("server.pem", leaf.cert(), intermediateCert), leaf.key());
        serverP12 = pki.pkcs12("server", server);
        other = pki.signed("other", Key.RSA_PKCS1, ca, "/CN=" + OTHER_NAME, "0x30",
                "subjectAltName=DNS:" + OTHER_NAME + "\nextendedKeyUsage=serverAuth\n");
        ec = pki.signed("ec", Key.EC_SEC1, ca, "/CN=ec.example.test", "0x40",
                "subjectAltName=DNS:ec.example.test\nextendedKeyUsage=serverAuth\n");
        client = pki.signed("client", Key.EC, ca, "/O=Example/CN=bob", "0x0B0B", "extendedKeyUsage=clientAuth\n");
        clientP12 = pki.pkcs12("client", client);
        rogueP12 = pki.pkcs12("rogue", pki.selfSigned("rogue", Key.EC, "/O=Example/CN=bob"));
        otherCaCert = pki.selfSigned("other-ca", Key.EC, "/CN=Unrelated CA", "basicConstraints=critical,CA:TRUE").cert();
    }

    /** The set made once per JVM (about a second), for every test that only reads it. */
    public static SiteCertificates shared() {
        return TestPki.shared(SiteCertificates.class, SiteCertificates::new);
    }

    /** The listener keys for TLS with the default server certificate, as HOCON. */
    public String listenerTls() {
        return "tls-certificates = [ { certificate = \"" + server.cert() + "\", key = \"" + server.key() + "\" } ]";
    }

    /** The default certificate first, then the other one (chosen by SNI {@value #OTHER_NAME}). */
    public String listenerTlsWithSni() {
        return "tls-certificates = [ { certificate = \"" + server.cert() + "\", key = \"" + server.key() + "\" },"
                + " { certificate = \"" + other.cert() + "\", key = \"" + other.key() + "\" } ]";
    }

    /** A client context that trusts the root CA and shows no certificate. */
    public SSLContext clientContext() {
        return TestPki.clientContext(caCert, null);
    }

    /** A client context that trusts the root CA and shows the certificate in {@code p12}. */
    public SSLContext clientContext(Path p12) {
        return TestPki.clientContext(caCert, p12);
    }
}
