package mailproxy.lmtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import javax.net.ssl.SSLSocket;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.SiteCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * LMTP has no AUTH (RFC 2033): whoever reaches the listener may deliver to every mailbox
 * behind it, past the MTA's own checks. lmtp-clients (default loopback only) names who may;
 * anyone else gets 421 before the greeting and is closed, and the refusal is logged. Behind
 * a trusted load balancer the address that counts is the client the PROXY header names.
 */
@Timeout(60)
class LmtpClientsTest {
    static final String REFUSED = "421 4.7.1 proxy.test Error: this address may not deliver here";

    @Test
    void anAddressOutsideLmtpClientsIsRefusedBeforeTheGreeting() throws Exception {
        try (LogCapture log = new LogCapture(); LmtpFixture f = LmtpFixture.start(", lmtp-clients = [\"127.0.0.1/32\"]")) {
            try (RawClient c = RawClient.connectFrom("127.0.0.2", f.proxy().port("lmtp"))) {
                // S: 421 ... (no 220 first), then the close
                assertEquals(REFUSED, c.readLine());
                assertTrue(c.closedByPeer());
            }
            log.awaitLine(Duration.ofSeconds(5), "127.0.0.2", "not in lmtp-clients");
            log.awaitLine(Duration.ofSeconds(5), "lmtp id=", "client=127.0.0.2", "outcome=rejected");
            try (RawClient c = RawClient.connectFrom("127.0.0.1", f.proxy().port("lmtp"))) {
                assertEquals("220 proxy.test LMTP ready", c.readLine());
            }
            assertEquals(0, f.one().accepted() + f.two().accepted());
        }
    }

    /**
     * On an implicit-TLS listener a refused address costs no handshake (no private-key
     * operation for whoever can reach the port): the proxy closes before its ServerHello.
     * A listed address gets the handshake and the greeting inside TLS.
     */
    @Test
    void onAnImplicitTlsListenerARefusedAddressGetsNoHandshake() throws Exception {
        SiteCertificates certs = SiteCertificates.shared();
        String extra = ", lmtp-clients = [\"127.0.0.1/32\"], tls = implicit, " + certs.listenerTls();
        try (LogCapture log = new LogCapture(); LmtpFixture f = LmtpFixture.start(extra)) {
            int port = f.proxy().port("lmtp");
            try (Socket tcp = new Socket()) {
                tcp.bind(new InetSocketAddress("127.0.0.2", 0));
                tcp.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                SSLSocket tls = (SSLSocket) certs.clientContext().getSocketFactory().createSocket(tcp, "localhost", port, true);
                tls.setSoTimeout(5000);
                assertThrows(IOException.class, tls::startHandshake, "no handshake for an address outside lmtp-clients");
            }
            log.awaitLine(Duration.ofSeconds(5), "127.0.0.2", "not in lmtp-clients");
            String ended = log.awaitLine(Duration.ofSeconds(5), "lmtp id=", "client=127.0.0.2", "outcome=rejected");
            assertFalse(ended.contains("tls=TLS"), ended);
            try (Socket tcp = new Socket("127.0.0.1", port)) {
                SSLSocket tls = (SSLSocket) certs.clientContext().getSocketFactory().createSocket(tcp, "localhost", port, true);
                tls.startHandshake();
                try (RawClient c = new RawClient(tls)) {
                    assertEquals("220 proxy.test LMTP ready", c.readLine());
                }
            }
        }
    }

    /** The default admits loopback only: a client the trusted proxy speaks for from outside is refused. */
    @Test
    void behindAProxyTheClientItSpeaksForCounts() throws Exception {
        String extra = ", proxy-protocol = true, trusted-proxies = [\"127.0.0.1\"]";
        try (LmtpFixture f = LmtpFixture.start(extra)) {
            try (RawClient c = RawClient.connect(f.proxy().port("lmtp"))) {
                c.send("PROXY TCP4 203.0.113.5 127.0.0.1 40000 24\r\n");
                assertEquals(REFUSED, c.readLine());
                assertTrue(c.closedByPeer());
            }
            try (RawClient c = RawClient.connect(f.proxy().port("lmtp"))) {
                c.send("PROXY TCP4 127.0.0.9 127.0.0.1 40000 24\r\n");
                assertEquals("220 proxy.test LMTP ready", c.readLine());
            }
        }
    }
}
