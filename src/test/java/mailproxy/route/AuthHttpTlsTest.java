package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
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
    private static AuthServer auth;
    private static ScriptedServer backend;
    private static TestProxy proxy;

    private static void openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw new AssertionError("openssl " + cmd + ": " + out);
    }

    @BeforeAll
    static void start() throws Exception {
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key",
                "-out", "server.pem", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1");
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
                "-out", "ca.pem", "-days", "2", "-subj", "/CN=Test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "client.key",
                "-out", "client.csr", "-subj", "/O=Example Org/CN=alice");
        openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "0x1234ABCD",
                "-days", "2", "-out", "client.pem");
        openssl("pkcs12", "-export", "-in", "client.pem", "-inkey", "client.key", "-out", "client.p12", "-passout", "pass:changeit");
        backend = new ScriptedServer(peer -> {
            peer.line("+OK fake backend");
            peer.readLine();
            peer.line("+OK");
            peer.readLine();
            peer.line("+OK Logged in.");
            if ("QUIT".equals(peer.readLine())) peer.line("+OK bye");
        });
        auth = AuthServer.start(r -> AuthServer.ok("127.0.0.1", backend.port()));
        String tls = "tls-certificates = [ { certificate = \"%s\", key = \"%s\" } ], tls-client-auth = optional, tls-client-ca = \"%s\""
                .formatted(dir.resolve("server.pem"), dir.resolve("server.key"), dir.resolve("ca.pem"));
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
        if (proxy != null) proxy.close();
        if (auth != null) auth.close();
        if (backend != null) backend.close();
    }

    private static SSLContext clientContext(boolean withCertificate) throws Exception {
        TrustManager trustAll = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] c, String a) {}

            @Override
            public void checkServerTrusted(X509Certificate[] c, String a) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        };
        KeyManagerFactory kmf = null;
        if (withCertificate) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (FileInputStream in = new FileInputStream(dir.resolve("client.p12").toFile())) {
                ks.load(in, "changeit".toCharArray());
            }
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, "changeit".toCharArray());
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), new TrustManager[] {trustAll}, null);
        return ctx;
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
        assertEquals("on", r.header("Auth-SSL"));
        assertEquals(protocol, r.header("Auth-SSL-Protocol"));
        assertEquals(cipher, r.header("Auth-SSL-Cipher"));
        assertEquals("SUCCESS", r.header("Auth-SSL-Verify"));
        assertEquals("CN=alice,O=Example%20Org", r.header("Auth-SSL-Subject"));
        assertEquals("CN=Test%20CA", r.header("Auth-SSL-Issuer"));
        assertEquals("1234ABCD", r.header("Auth-SSL-Serial"));
        X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(Files.newInputStream(dir.resolve("client.pem")));
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(cert.getEncoded())),
                r.header("Auth-SSL-Fingerprint"));
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
        AuthServer.Request r = auth.last();
        assertEquals("on", r.header("Auth-SSL"));
        assertEquals("NONE", r.header("Auth-SSL-Verify"));
        assertNull(r.header("Auth-SSL-Subject"));
        assertNull(r.header("Auth-SSL-Cert"));
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
