package mailproxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates and keys made at test time with openssl (on PATH) and keytool (of the JDK
 * running the tests), in every form the loader must read. Everything is valid for two days.
 */
final class TestPki {
    static final String P12_PASSWORD = "changeit";

    final Path dir;
    final Path caCert;
    final Path caKey;
    /** RSA, PKCS#8 key; SAN DNS:imap.example.org, IP:127.0.0.1; self-signed. */
    final Path rsaCert;
    final Path rsaKey;
    /** EC P-256, SEC1 key ("BEGIN EC PRIVATE KEY"); SAN DNS:*.other.test. */
    final Path ecCert;
    final Path ecKey;
    /** RSA, PKCS#1 key ("BEGIN RSA PRIVATE KEY"); CN=pkcs1.example.net, no SAN. */
    final Path pkcs1Cert;
    final Path pkcs1Key;
    /** Ed25519, PKCS#8; SAN DNS:ed.example.org. */
    final Path edCert;
    final Path edKey;
    /** keytool PKCS#12, EC; SAN DNS:p12.example.org, password {@link #P12_PASSWORD}. */
    final Path p12;
    /** Client certificate signed by the CA: subject O=Example, CN=alice, serial 1234ABCD. */
    final Path clientCert;
    final Path clientKey;
    /** Client certificate signed by the CA without CN: subject O=Example, SAN email bob@example.org. */
    final Path noCnCert;
    final Path noCnKey;
    /** Self-signed client certificate the CA knows nothing of. */
    final Path rogueCert;
    final Path rogueKey;

    TestPki(Path dir) throws Exception {
        this.dir = dir;
        caCert = dir.resolve("ca.pem");
        caKey = dir.resolve("ca.key");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey, "-out", caCert,
                "-days", "2", "-subj", "/CN=Test CA",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign");

        rsaCert = dir.resolve("rsa.pem");
        rsaKey = dir.resolve("rsa.key");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", rsaKey, "-out", rsaCert,
                "-days", "2", "-subj", "/CN=imap.example.org",
                "-addext", "subjectAltName=DNS:imap.example.org,IP:127.0.0.1");

        ecKey = dir.resolve("ec.key");
        ecCert = dir.resolve("ec.pem");
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ecKey);
        openssl("req", "-x509", "-key", ecKey, "-out", ecCert, "-days", "2",
                "-subj", "/CN=mail.other.test", "-addext", "subjectAltName=DNS:*.other.test");

        pkcs1Key = dir.resolve("pkcs1.key");
        pkcs1Cert = dir.resolve("pkcs1.pem");
        openssl("genrsa", "-traditional", "-out", pkcs1Key, "2048");
        openssl("req", "-x509", "-key", pkcs1Key, "-out", pkcs1Cert, "-days", "2",
                "-subj", "/CN=pkcs1.example.net");

        edKey = dir.resolve("ed.key");
        edCert = dir.resolve("ed.pem");
        openssl("genpkey", "-algorithm", "ed25519", "-out", edKey);
        openssl("req", "-x509", "-key", edKey, "-out", edCert, "-days", "2",
                "-subj", "/CN=ed.example.org", "-addext", "subjectAltName=DNS:ed.example.org");

        p12 = dir.resolve("server.p12");
        run(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "srv", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=p12.example.org", "-ext", "SAN=dns:p12.example.org", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", p12.toString(),
                "-storepass", P12_PASSWORD, "-keypass", P12_PASSWORD, "-noprompt");

        clientCert = dir.resolve("client.pem");
        clientKey = dir.resolve("client.key");
        signedClient(clientKey, clientCert, "/O=Example/CN=alice", "0x1234ABCD",
                "email:alice@example.org");
        noCnCert = dir.resolve("nocn.pem");
        noCnKey = dir.resolve("nocn.key");
        signedClient(noCnKey, noCnCert, "/O=Example", "0x02", "email:bob@example.org");

        rogueCert = dir.resolve("rogue.pem");
        rogueKey = dir.resolve("rogue.key");
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", rogueKey, "-out", rogueCert, "-days", "2", "-subj", "/CN=mallory");
    }

    private void signedClient(Path key, Path cert, String subject, String serial, String san)
            throws Exception {
        Path csr = dir.resolve(cert.getFileName() + ".csr");
        Path ext = dir.resolve(cert.getFileName() + ".ext");
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key, "-out", csr, "-subj", subject);
        Files.writeString(ext, "extendedKeyUsage=clientAuth\nsubjectAltName=" + san + "\n");
        openssl("x509", "-req", "-in", csr, "-CA", caCert, "-CAkey", caKey, "-set_serial", serial,
                "-days", "2", "-out", cert, "-extfile", ext);
    }

    static boolean opensslAvailable() {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, "openssl"))) {
                return true;
            }
        }
        return false;
    }

    /** Runs openssl with these arguments (Paths become strings); returns its output. */
    String openssl(Object... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        for (Object a : args) {
            cmd.add(a.toString());
        }
        return run(cmd.toArray(String[]::new));
    }

    String run(String... cmd) throws Exception {
        Path out = Files.createTempFile(dir, "cmd", ".out");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("timed out: " + String.join(" ", cmd));
        }
        String text = Files.readString(out, StandardCharsets.ISO_8859_1);
        assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + "\n" + text);
        return text;
    }

    /** Writes a file into the test folder. */
    Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.ISO_8859_1);
    }
}
