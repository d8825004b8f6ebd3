package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import mailproxy.config.ConfigLoader;
import mailproxy.config.Protocol;
import mailproxy.testing.Await;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.SiteCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** health.tls: with tls = implicit the check does the handshake (verified) before the greeting. */
class HealthCheckTlsTest {
    @Test
    void implicitTlsServerIsCheckedThroughTheHandshake(@TempDir Path dir) throws Exception {
        SiteCertificates certs = SiteCertificates.shared();
        AtomicInteger greeted = new AtomicInteger();
        try (SSLServerSocket tls = (SSLServerSocket) certs.clientContext(certs.serverP12).getServerSocketFactory()
                .createServerSocket(0, 10, InetAddress.getLoopbackAddress());
             ScriptedServer plain = new ScriptedServer(peer -> peer.line("* OK plaintext where TLS was expected"))) {
            Thread.ofVirtual().start(() -> serve(tls, greeted));
            String cfg = "mailproxy { backends { s {\n servers = [ { host = \"127.0.0.1\", imap-port = " + tls.getLocalPort()
                    + " }, { host = \"127.0.0.1\", imap-port = " + plain.port() + " } ]\n imap { tls = implicit }\n tls-ca = \""
                    + certs.caCert + "\"\n health { interval = 50ms, rise = 1, fall = 2, timeout = 2s }\n} } }";
            Pools pools = Pools.start(ConfigLoader.parse(cfg, "tls.conf"), null);
            try {
                PoolServer good = pools.get("s").servers().get(0);
                PoolServer bad = pools.get("s").servers().get(1);
                Await.until(Duration.ofSeconds(15), () -> greeted.get() >= 3 && !bad.up(Protocol.IMAP));
                assertTrue(greeted.get() >= 3, "LOGOUT after a TLS greeting: " + greeted.get());
                assertTrue(good.up(Protocol.IMAP));
                assertFalse(bad.up(Protocol.IMAP), "no TLS there: down");
            } finally {
                pools.close();
            }
        }
    }

    /** Handshake, greet, answer LOGOUT; count the polite goodbyes. */
    private static void serve(SSLServerSocket server, AtomicInteger greeted) {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                s.setSoTimeout(5000);
                ((SSLSocket) s).startHandshake();
                OutputStream out = s.getOutputStream();
                out.write("* OK [CAPABILITY IMAP4rev1] tls ready\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
                if ("a LOGOUT".equals(line)) {
                    out.write("* BYE\r\na OK LOGOUT completed\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    greeted.incrementAndGet();
                }
            } catch (Exception e) {
                // a closed server socket ends the loop; a failed handshake is the check's business
            }
        }
    }
}
