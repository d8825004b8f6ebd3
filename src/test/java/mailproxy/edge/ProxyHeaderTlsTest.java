package mailproxy.edge;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import javax.net.ssl.SSLSocket;
import mailproxy.testing.FreePorts;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.SiteCertificates;
import mailproxy.testing.TestProxy;
import mailproxy.wire.ProxyHeaderWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A PROXY header in front of implicit TLS: the header is read without a byte more, so the
 * TLS ClientHello right behind it (in the same packet here) reaches the handshake intact.
 */
@Timeout(30)
class ProxyHeaderTlsTest {

    @Test
    void theClientHelloBehindTheHeaderIsLeftForTheHandshake() throws Exception {
        SiteCertificates certs = SiteCertificates.shared();
        try (LogCapture log = new LogCapture(); TestProxy p = TestProxy.start("""
                mailproxy {
                  backends { b { host = "127.0.0.1", imap { port = %d } } }
                  routers { r { type = static, default = b } }
                  listeners = [ { name = imaps, protocol = imap, listen = "127.0.0.1:0", tls = implicit, %s,
                                  proxy-protocol = true, trusted-proxies = ["127.0.0.1/32"] } ]
                }""".formatted(FreePorts.closedPort(), certs.listenerTls()))) {
            Socket tcp = new Socket();
            tcp.setTcpNoDelay(false); // let the header and the ClientHello share a segment
            tcp.connect(new InetSocketAddress("127.0.0.1", p.port("imaps")), 5000);
            OutputStream raw = tcp.getOutputStream();
            raw.write(ProxyHeaderWriter.v2(new InetSocketAddress("192.0.2.44", 40404), new InetSocketAddress("192.0.2.1", 993)));
            SSLSocket tls = (SSLSocket) certs.clientContext().getSocketFactory()
                    .createSocket(tcp, "localhost", p.port("imaps"), true);
            tls.startHandshake();
            try (RawClient c = new RawClient(tls)) {
                c.expect("* OK [CAPABILITY ");
                c.line("a LOGOUT");
                c.expect("* BYE");
            }
            String line = log.awaitLine(Duration.ofSeconds(5), "imap id=", "client=192.0.2.44:40404");
            assertTrue(line.contains("tls=TLSv1.3"), line);
        }
    }
}
