package mailproxy.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import mailproxy.config.ConfigLoader;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.FreePorts;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestPki;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificate renewal as README.md, "Running in production", tells it: the files at the
 * configured paths are replaced (a certbot deploy hook) and the proxy reloads with the
 * same config. New handshakes get the new certificate; a session opened before the
 * reload goes on with the old one.
 */
class CertificateRenewalTest {
    private static final String NAME = "mail.example.test";

    private static String config(int backend, int port, Path cert, Path key) {
        return """
                mailproxy {
                  backends { store { host = "127.0.0.1", imap { port = %d } } }
                  routers { r { type = static, default = store } }
                  listeners = [ { name = imaps, protocol = imap, listen = "127.0.0.1:%d", tls = implicit,
                                  tls-certificates = [ { certificate = "%s", key = "%s" } ] } ]
                }
                """.formatted(backend, port, cert, key);
    }

    private static SSLSocket connect(SSLContext trust, int port) throws Exception {
        SSLSocket s = (SSLSocket) trust.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout(10_000);
        s.startHandshake();
        return s;
    }

    private static BigInteger serial(SSLSocket s) throws Exception {
        return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
    }

    @Test
    void aReloadServesTheRenewedCertificateAndKeepsOpenSessions(@TempDir Path dir) throws Exception {
        TestPki pki = TestPki.in(dir);
        TestPki.Pair ca = pki.ca("ca", "/CN=Renewal Test CA");
        String san = "subjectAltName=DNS:" + NAME;
        TestPki.Pair before = pki.signed("before", TestPki.Key.EC, ca, "/CN=" + NAME, "1001", san);
        TestPki.Pair after = pki.signed("after", TestPki.Key.EC, ca, "/CN=" + NAME, "1002", san);
        Path live = Files.createDirectories(dir.resolve("live"));
        Path cert = live.resolve("mail.pem");
        Path key = live.resolve("mail.key");
        Files.copy(before.cert(), cert);
        Files.copy(before.key(), key);
        SSLContext trust = TestPki.clientContext(ca.cert(), null);
        int port = FreePorts.allocate(1)[0]; // fixed: a reload keeps the listener (port 0 would be bound anew)
        try (FakeBackend imap = FakeBackends.imap().password("secret").start();
             TestProxy proxy = TestProxy.start(config(imap.port(), port, cert, key));
             SSLSocket old = connect(trust, port);
             RawClient oldSession = new RawClient(old)) {
            assertEquals(BigInteger.valueOf(1001), serial(old));
            oldSession.transcript(AliceLogin.LOGIN);

            // the deploy hook: new files at the same paths, then the reload
            Files.copy(after.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(after.key(), key, StandardCopyOption.REPLACE_EXISTING);
            proxy.server().reload(ConfigLoader.parse(config(imap.port(), port, cert, key), "reloaded.conf"));

            // a new client context: nothing to resume, a full handshake
            try (SSLSocket renewed = connect(TestPki.clientContext(ca.cert(), null), port); RawClient c = new RawClient(renewed)) {
                assertEquals(BigInteger.valueOf(1002), serial(renewed));
                AliceLogin.loginAndLogout(c);
            }
            oldSession.transcript("""
                    C: n NOOP
                    S: n OK NOOP completed
                    """ + AliceLogin.LOGOUT);
        }
    }
}
