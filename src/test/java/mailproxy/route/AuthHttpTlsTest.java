package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestPki;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Auth-SSL headers from a real TLS client connection (implicit TLS and STLS), client certificate included. */
@Timeout(60)
class AuthHttpTlsTest {
    @TempDir
    static Path dir;
    /** The proxy's certificate (self-signed, CN=localhost, IP:127.0.0.1) and alice's, signed by "Test CA". */
    static TestPki.Pair server;
    static Path clientCert;
    static Path clientP12;
    private static AuthServer auth;
    private static FakeBackend backend;
    private static TestProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        TestPki pki = TestPki.in(dir);
        server = pki.selfSigned("server", TestPki.Key.EC, "/CN=localhost", "subjectAltName=IP:127.0.0.1");
        TestPki.Pair ca = pki.selfSigned("ca", TestPki.Key.EC, "/CN=Test CA",
                "basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign");
        TestPki.Pair client = pki.signed("client", TestPki.Key.EC, ca, "/O=Example Org/CN=alice", "0x1234ABCD", "");
        clientCert = client.cert();
        clientP12 = pki.pkcs12("client", client);
        backend = FakeBackends.pop3().start();
        auth = AuthServer.start(r -> AuthServer.ok("127.0.0.1", backend.port()));
        String tls = "tls-certificates = [ { certificate = \"%s\", key = \"%s\" } ], tls-client-auth = optional, tls-client-ca = \"%s\""
                .formatted(server.cert(), server.key(), ca.cert());
        proxy = TestProxy.start("""
                mailproxy {
                  routers { auth { type = auth-http, url = "%s", timeout = 5s, pass-client-cert = true } }
                  listeners = [
                    { name = pop3s, protocol = pop3, listen = "127.0.0.1:0", tls = implicit, %s }
                    { name = pop3, protocol = pop3, listen = "127.0.0.1:0", starttls = on, %s }
                  ]
                }
                """.formatted(auth.url(), tls, tls));
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        auth.close();
        backend.close();
    }

    /** A client that trusts the proxy's certificate, and shows alice's when asked to. */
    private static SSLContext clientContext(boolean withCertificate) {
        return TestPki.clientContext(server.cert(), withCertificate ? clientP12 : null);
    }

    private static void login(RawClient c) throws Exception {
        c.line("USER bob").expect("+OK");
        c.line("PASS pw").expect("+OK Logged in.");
        c.line("QUIT").expect("+OK");
    }

    @Test
    void implicitTlsWithAClientCertificateSendsEveryAuthSslHeader() throws Exception {
        SSLSocket s = (SSLSocket) clientContext(true).getSocketFactory().createSocket("127.0.0.1", proxy.port("pop3s"));
        s.startHandshake();
        String protocol = s.getSession().getProtocol();
        String cipher = s.getSession().getCipherSuite();
        try (RawClient c = new RawClient(s)) {
            c.expect("+OK");
            login(c);
        }
        AuthServer.Request r = auth.last();
        X509Certificate cert = TestPki.read(clientCert);
        r.assertHeaders("""
                Auth-SSL: on
                Auth-SSL-Protocol: %s
                Auth-SSL-Cipher: %s
                Auth-SSL-Verify: SUCCESS
                Auth-SSL-Subject: CN=alice,O=Example%%20Org
                Auth-SSL-Issuer: CN=Test%%20CA
                Auth-SSL-Serial: 1234ABCD
                Auth-SSL-Fingerprint: %s
                """.formatted(protocol, cipher,
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(cert.getEncoded()))));
        String pem = new String(AuthServer.unescape(r.header("Auth-SSL-Cert")), StandardCharsets.US_ASCII);
        assertEquals(cert, CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))));
        assertTrue(r.header("Auth-SSL-Cert").contains("%0A"), "line ends escaped");
    }

    @Test
    void stlsWithoutACertificateSendsAuthSslWithVerifyNone() throws Exception {
        try (RawClient plain = RawClient.connect(proxy.port("pop3"))) {
            plain.expect("+OK");
            plain.line("STLS").expect("+OK");
            SSLSocket s = (SSLSocket) clientContext(false).getSocketFactory()
                    .createSocket(plain.socket(), "127.0.0.1", plain.socket().getPort(), true);
            s.startHandshake();
            try (RawClient c = new RawClient(s)) {
                login(c);
            }
        }
        auth.last().assertHeaders("""
                Auth-SSL: on
                Auth-SSL-Verify: NONE
                no Auth-SSL-Subject
                no Auth-SSL-Cert
                """);
    }

    @Test
    void plainTextSendsNoAuthSsl() throws Exception {
        try (RawClient c = RawClient.connect(proxy.port("pop3"))) {
            c.expect("+OK");
            login(c);
        }
        assertNull(auth.last().header("Auth-SSL"));
    }
}
