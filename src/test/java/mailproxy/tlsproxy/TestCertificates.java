package mailproxy.tlsproxy;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A small PKI made with openssl at test time, as an admin would have it: a root CA, an
 * intermediate CA, server certificates whose PEM file is the chain (leaf, then
 * intermediate), keys in PKCS#8, PKCS#1 and SEC1 form, a PKCS#12 file, and client
 * certificates. Everything is valid for two days. Other test packages may use it too.
 */
public final class TestCertificates {
    public static final String PASSWORD = "changeit";
    /** The name {@link #otherCert} answers for, to be asked for with SNI. */
    public static final String OTHER_NAME = "mail.other.test";

    public final Path dir;
    /** Root CA (RSA): trust anchor for clients of the proxy and for client certificates. */
    public final Path caCert;
    public final Path caKey;
    /** Intermediate CA (EC), signed by the root; signs {@link #serverCert}. */
    public final Path intermediateCert;
    /**
     * The proxy's default server certificate: EC, CN=localhost, SAN DNS:localhost and
     * IP:127.0.0.1; the file holds the leaf and the intermediate. Key in PKCS#8.
     */
    public final Path serverCert;
    public final Path serverKey;
    /** The same certificate and key as PKCS#12 (password {@link #PASSWORD}). */
    public final Path serverP12;
    /** A second server certificate, RSA with a PKCS#1 key, SAN DNS:{@value #OTHER_NAME}; signed by the root. */
    public final Path otherCert;
    public final Path otherKey;
    /** A third server certificate, EC with a SEC1 ("EC PRIVATE KEY") key, SAN DNS:ec.example.test. */
    public final Path ecCert;
    public final Path ecKey;
    /** Client certificate of bob, signed by the root: subject O=Example, CN=bob. PEM and PKCS#12. */
    public final Path clientCert;
    public final Path clientKey;
    public final Path clientP12;
    /** A self-signed client certificate that also says CN=bob: the CA never signed it. */
    public final Path rogueP12;
    /** A CA that signed nothing here: trusting only it must fail every verification. */
    public final Path otherCaCert;

    private TestCertificates(Path dir) throws IOException {
        this.dir = dir;
        caCert = dir.resolve("ca.pem");
        caKey = dir.resolve("ca.key");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey, "-out", caCert,
                "-days", "2", "-subj", "/O=Example/CN=Test Root CA",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign");

        intermediateCert = dir.resolve("intermediate.pem");
        Path intermediateKey = dir.resolve("intermediate.key");
        sign(intermediateKey, intermediateCert, caCert, caKey, "/O=Example/CN=Test Intermediate CA", "0x10",
                "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n",
                "ec");

        Path leaf = dir.resolve("server-leaf.pem");
        serverKey = dir.resolve("server.key");
        sign(serverKey, leaf, intermediateCert, intermediateKey, "/CN=localhost", "0x20",
                "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n", "ec");
        serverCert = dir.resolve("server.pem");
        Files.writeString(serverCert, Files.readString(leaf) + Files.readString(intermediateCert));
        serverP12 = dir.resolve("server.p12");
        openssl("pkcs12", "-export", "-in", serverCert, "-inkey", serverKey, "-out", serverP12,
                "-passout", "pass:" + PASSWORD, "-name", "server");

        otherKey = dir.resolve("other.key");
        otherCert = dir.resolve("other.pem");
        openssl("genrsa", "-traditional", "-out", otherKey, "2048");
        signWithKey(otherKey, otherCert, caCert, caKey, "/CN=" + OTHER_NAME, "0x30",
                "subjectAltName=DNS:" + OTHER_NAME + "\nextendedKeyUsage=serverAuth\n");

        ecKey = dir.resolve("ec.key");
        ecCert = dir.resolve("ec.pem");
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ecKey);
        signWithKey(ecKey, ecCert, caCert, caKey, "/CN=ec.example.test", "0x40",
                "subjectAltName=DNS:ec.example.test\nextendedKeyUsage=serverAuth\n");

        clientCert = dir.resolve("client.pem");
        clientKey = dir.resolve("client.key");
        sign(clientKey, clientCert, caCert, caKey, "/O=Example/CN=bob", "0x0B0B",
                "extendedKeyUsage=clientAuth\n", "ec");
        clientP12 = dir.resolve("client.p12");
        openssl("pkcs12", "-export", "-in", clientCert, "-inkey", clientKey, "-out", clientP12,
                "-passout", "pass:" + PASSWORD, "-name", "bob");

        Path rogueCert = dir.resolve("rogue.pem");
        Path rogueKey = dir.resolve("rogue.key");
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", rogueKey, "-out", rogueCert, "-days", "2", "-subj", "/O=Example/CN=bob");
        rogueP12 = dir.resolve("rogue.p12");
        openssl("pkcs12", "-export", "-in", rogueCert, "-inkey", rogueKey, "-out", rogueP12,
                "-passout", "pass:" + PASSWORD, "-name", "rogue");

        otherCaCert = dir.resolve("other-ca.pem");
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", dir.resolve("other-ca.key"), "-out", otherCaCert, "-days", "2",
                "-subj", "/CN=Unrelated CA", "-addext", "basicConstraints=critical,CA:TRUE");
    }

    /** Makes the whole set in {@code dir} (a JUnit @TempDir); about a second. */
    public static TestCertificates create(Path dir) throws IOException {
        return new TestCertificates(dir);
    }

    /** The listener keys for TLS with the default server certificate, as HOCON. */
    public String listenerTls() {
        return "tls-certificates = [ { certificate = \"" + serverCert + "\", key = \"" + serverKey + "\" } ]";
    }

    /** The default certificate first, then the other one (chosen by SNI {@value #OTHER_NAME}). */
    public String listenerTlsWithSni() {
        return "tls-certificates = [ { certificate = \"" + serverCert + "\", key = \"" + serverKey + "\" },"
                + " { certificate = \"" + otherCert + "\", key = \"" + otherKey + "\" } ]";
    }

    /** A client context that trusts the root CA and shows no certificate. */
    public SSLContext clientContext() {
        return context(null);
    }

    /** A client context that trusts the root CA and shows the certificate in {@code p12}. */
    public SSLContext clientContext(Path p12) {
        return context(p12);
    }

    private SSLContext context(Path p12) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            try (InputStream in = Files.newInputStream(caCert)) {
                trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = null;
            if (p12 != null) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(p12)) {
                    keys.load(in, PASSWORD.toCharArray());
                }
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, PASSWORD.toCharArray());
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot build a client SSLContext", e);
        }
    }

    public static X509Certificate read(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot read " + pem, e);
        }
    }

    /** New key ({@code ec} or {@code rsa}), CSR, and a certificate signed by the issuer. */
    private void sign(Path key, Path cert, Path issuerCert, Path issuerKey, String subject, String serial,
                      String extensions, String keyType) throws IOException {
        if (keyType.equals("ec")) {
            openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key);
        } else {
            openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key);
        }
        signWithKey(key, cert, issuerCert, issuerKey, subject, serial, extensions);
    }

    private void signWithKey(Path key, Path cert, Path issuerCert, Path issuerKey, String subject, String serial,
                             String extensions) throws IOException {
        Path csr = dir.resolve(cert.getFileName() + ".csr");
        Path ext = dir.resolve(cert.getFileName() + ".ext");
        openssl("req", "-new", "-key", key, "-out", csr, "-subj", subject);
        Files.writeString(ext, extensions);
        openssl("x509", "-req", "-in", csr, "-CA", issuerCert, "-CAkey", issuerKey, "-set_serial", serial,
                "-days", "2", "-out", cert, "-extfile", ext);
    }

    /** Runs openssl with these arguments (Paths become strings); its output. */
    String openssl(Object... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        for (Object a : args) cmd.add(a.toString());
        return run(dir, cmd);
    }

    static String run(Path dir, List<String> cmd) throws IOException {
        Path out = Files.createTempFile(dir, "cmd", ".out");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", cmd));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", cmd), e);
        }
        String text = Files.readString(out, StandardCharsets.ISO_8859_1);
        if (p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ":\n" + text);
        return text;
    }
}
