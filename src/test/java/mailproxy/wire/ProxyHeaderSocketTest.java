package mailproxy.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import mailproxy.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Reading a PROXY header off a real loopback socket: what follows stays unread; a deadline bounds it all. */
@Timeout(20)
class ProxyHeaderSocketTest {
    private ServerSocket server;
    private Socket sender;
    private Socket accepted;

    @BeforeEach
    void pair() throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        sender = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        accepted = server.accept();
    }

    @AfterEach
    void close() throws IOException {
        sender.close();
        accepted.close();
        server.close();
    }

    @Test
    void headerAndClientHelloInOnePacketLeaveTheHelloUnread() throws IOException {
        InetSocketAddress src = new InetSocketAddress(InetAddress.getByName("203.0.113.7"), 40000);
        InetSocketAddress dst = new InetSocketAddress(InetAddress.getByName("198.51.100.1"), 993);
        byte[] hello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};
        for (byte[] header : new byte[][] {ProxyHeaderWriter.v1(src, dst), ProxyHeaderWriter.v2(src, dst)}) {
            byte[] both = new byte[header.length + hello.length];
            System.arraycopy(header, 0, both, 0, header.length);
            System.arraycopy(hello, 0, both, header.length, hello.length);
            sender.getOutputStream().write(both);
            sender.getOutputStream().flush();
            accepted.setSoTimeout(7_000);
            ProxyHeader h = ProxyHeader.read(accepted, Duration.ofSeconds(5));
            assertEquals(src, h.source());
            assertEquals(dst, h.destination());
            assertEquals(7_000, accepted.getSoTimeout(), "the socket's own read timeout is put back");
            assertArrayEquals(hello, accepted.getInputStream().readNBytes(hello.length));
        }
    }

    @Test
    void aTricklingSenderIsCutOffAtTheDeadline() throws Exception {
        // one byte every 100 ms: each read alone is quick, the whole header would take 5 s
        Thread trickler = Thread.ofVirtual().start(() -> {
            try {
                OutputStream out = sender.getOutputStream();
                for (byte b : "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n".getBytes(StandardCharsets.US_ASCII)) {
                    out.write(b);
                    out.flush();
                    Await.pause(Duration.ofMillis(100));
                }
            } catch (IOException | InterruptedException e) {
                // the reader gave up and the test closed the socket
            }
        });
        ProxyHeaderException e = assertThrows(ProxyHeaderException.class,
                () -> ProxyHeader.read(accepted, Duration.ofMillis(500)));
        assertTrue(e.getMessage().startsWith("no complete PROXY header within 500ms"), e.getMessage());
        trickler.interrupt();
        trickler.join(5_000);
    }

    @Test
    void aSilentSenderIsCutOffAtTheDeadline() {
        ProxyHeaderException e = assertThrows(ProxyHeaderException.class,
                () -> ProxyHeader.read(accepted, Duration.ofMillis(300)));
        assertTrue(e.getMessage().contains("within 300ms"), e.getMessage());
    }

    @Test
    void aSenderThatHangsUpMidHeaderIsAnError() throws IOException {
        sender.getOutputStream().write("PROXY TCP4 192.0".getBytes(StandardCharsets.US_ASCII));
        sender.shutdownOutput();
        ProxyHeaderException e = assertThrows(ProxyHeaderException.class,
                () -> ProxyHeader.read(accepted, Duration.ofSeconds(5)));
        assertEquals("connection closed inside the PROXY header after 16 bytes", e.getMessage());
    }
}
