package mailproxy.testing;

import java.io.IOException;
import java.nio.file.Path;
import mailproxy.testing.TestPki.Key;
import mailproxy.testing.TestPki.Pair;

/** Certificates and keys in every form the loader must read, made with {@link TestPki}. */
public final class KeyFormatCertificates {
    private final TestPki pki;
    /** The CA (RSA, CN=Test CA) that signed {@link #client} and {@link #noCn}. */
    public final Pair ca;
    /** RSA, PKCS#8 key; SAN DNS:imap.example.org, IP:127.0.0.1; self-signed. */
    public final Pair rsa;
    /** EC P-256, SEC1 key ("BEGIN EC PRIVATE KEY"); SAN DNS:*.other.test. */
    public final Pair ec;
    /** RSA, PKCS#1 key ("BEGIN RSA PRIVATE KEY"); CN=pkcs1.example.net, no SAN. */
    public final Pair pkcs1;
    /** Ed25519, PKCS#8; SAN DNS:ed.example.org. */
    public final Pair ed;
    /** keytool PKCS#12, EC; SAN DNS:p12.example.org, password {@link TestPki#PASSWORD}. */
    public final Path p12;
    /** Client certificate signed by the CA: subject O=Example, CN=alice, serial 1234ABCD. */
    public final Pair client;
    /** Client certificate signed by the CA without CN: subject O=Example, SAN email bob@example.org. */
    public final Pair noCn;
    /** Self-signed client certificate the CA knows nothing of. */
    public final Pair rogue;

    private KeyFormatCertificates(TestPki pki) throws IOException {
        this.pki = pki;
        ca = pki.ca("ca", "/CN=Test CA");
        rsa = pki.selfSigned("rsa", Key.RSA, "/CN=imap.example.org", "subjectAltName=DNS:imap.example.org,IP:127.0.0.1");
        ec = pki.selfSigned("ec", Key.EC_SEC1, "/CN=mail.other.test", "subjectAltName=DNS:*.other.test");
        pkcs1 = pki.selfSigned("pkcs1", Key.RSA_PKCS1, "/CN=pkcs1.example.net");
        ed = pki.selfSigned("ed", Key.ED25519, "/CN=ed.example.org", "subjectAltName=DNS:ed.example.org");
        p12 = pki.keytoolPkcs12("server", "p12.example.org");
        client = pki.signed("client", Key.EC, ca, "/O=Example/CN=alice", "0x1234ABCD",
                "extendedKeyUsage=clientAuth\nsubjectAltName=email:alice@example.org\n");
        noCn = pki.signed("nocn", Key.EC, ca, "/O=Example", "0x02",
                "extendedKeyUsage=clientAuth\nsubjectAltName=email:bob@example.org\n");
        rogue = pki.selfSigned("rogue", Key.EC, "/CN=mallory");
    }

    /**
     * The set made once per JVM, for tests that only read it (and write files of their own
     * names next to it). A test class that uses it is
     * {@code @EnabledIf("mailproxy.testing.TestPki#opensslAvailable")}.
     */
    public static KeyFormatCertificates shared() {
        return TestPki.shared(KeyFormatCertificates.class, KeyFormatCertificates::new);
    }

    /** A path in the set's folder, for a file of the test's own. */
    public Path file(String name) {
        return pki.dir().resolve(name);
    }

    /** Runs openssl in the set's folder (to make a key in yet another form); its output. */
    public String openssl(Object... args) throws IOException {
        return pki.openssl(args);
    }

    /** Writes a file into the set's folder. */
    public Path write(String name, String content) throws IOException {
        return pki.write(name, content);
    }
}
