package mailproxy.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.util.ReferenceCounted;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * The socket that runs BoringSSL's engine over a blocking socket (tls-provider = openssl),
 * against the JDK's client: what the session, the relay and the watchdog rely on.
 */
@Timeout(60)
@EnabledIf("mailproxy.testing.TestPki#opensslAvailable")
class EngineSocketTest {
    static final Duration HANDSHAKE = Duration.ofSeconds(10);

    /** A handshaken pair: the proxy's side (an EngineSocket) and a JDK client. */
    record Pair(Loopback lo, EngineSocket server, SSLSocket client) implements AutoCloseable {
        static Pair open() throws Exception {
            TlsServer tls = TlsServer.create(ServerTlsSettings.of(TlsServerTest.ec).withProvider(TlsProvider.OPENSSL));
            Loopback lo = new Loopback();
            CompletableFuture<SSLSocket> accepted = lo.acceptTls(tls, HANDSHAKE);
            SSLSocket c = TlsServerTest.client(null, null).handshake(lo.connect(), HANDSHAKE);
            return new Pair(lo, (EngineSocket) Loopback.result(accepted), c);
        }

        @Override
        public void close() throws Exception {
            server.close(); // first: the JDK client's close waits for the peer's close_notify
            client.close();
            lo.close();
        }
    }

    static byte[] pattern(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) b[i] = (byte) (i * 31 + seed + (i >>> 13));
        return b;
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** Writes in uneven pieces, as the relay does with what each read brought. */
    static CompletableFuture<Void> writeAll(OutputStream out, byte[] data) {
        return CompletableFuture.runAsync(() -> {
            try {
                int[] sizes = {1, 100, 256, 4096, 16_384, 16_385, 65_536, 70_000};
                for (int off = 0, i = 0; off < data.length; i++) {
                    int n = Math.min(sizes[i % sizes.length], data.length - off);
                    out.write(data, off, n);
                    off += n;
                }
                out.flush();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, r -> Thread.ofVirtual().start(r));
    }

    static CompletableFuture<byte[]> readN(InputStream in, int n, int bufferSize) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                byte[] got = new byte[n];
                byte[] buf = new byte[bufferSize];
                for (int have = 0; have < n; ) {
                    int k = in.read(buf, 0, Math.min(buf.length, n - have));
                    if (k < 0) throw new IOException("EOF after " + have);
                    System.arraycopy(buf, 0, got, have, k);
                    have += k;
                }
                return got;
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, r -> Thread.ofVirtual().start(r));
    }

    /** Several MB each way at the same time: one reader and one writer on each socket. */
    @Test
    void bulkBothWaysAtOnceIsByteExact() throws Exception {
        int size = 6 * 1024 * 1024 + 7;
        byte[] up = pattern(size, 1);
        byte[] down = pattern(size, 2);
        try (Pair p = Pair.open()) {
            // the server reads with the relay's small idle buffer and with a large one
            CompletableFuture<byte[]> serverGot = readN(p.server.getInputStream(), size, 256);
            CompletableFuture<byte[]> clientGot = readN(p.client.getInputStream(), size, 65_536);
            CompletableFuture<Void> w1 = writeAll(p.client.getOutputStream(), up);
            CompletableFuture<Void> w2 = writeAll(p.server.getOutputStream(), down);
            w1.get(50, TimeUnit.SECONDS);
            w2.get(50, TimeUnit.SECONDS);
            assertEquals(sha256(up), sha256(serverGot.get(50, TimeUnit.SECONDS)));
            assertEquals(sha256(down), sha256(clientGot.get(50, TimeUnit.SECONDS)));
        }
    }

    @Test
    void soTimeoutEndsAReadAndTheNextReadStillWorks() throws Exception {
        try (Pair p = Pair.open()) {
            p.server.setSoTimeout(200);
            assertEquals(200, p.server.getSoTimeout());
            InputStream in = p.server.getInputStream();
            assertThrows(SocketTimeoutException.class, () -> in.read(new byte[10]));
            p.client.getOutputStream().write("after\r\n".getBytes(StandardCharsets.US_ASCII));
            p.client.getOutputStream().flush();
            p.server.setSoTimeout(5_000);
            assertEquals("after", TlsServerTest.readLine(in));
        }
    }

    @Test
    void availableCountsDecryptedBytesAndSmallReadsTakeThemInTurn() throws Exception {
        try (Pair p = Pair.open()) {
            byte[] msg = pattern(3000, 3);
            p.client.getOutputStream().write(msg);
            p.client.getOutputStream().flush();
            InputStream in = p.server.getInputStream();
            assertEquals(0, in.available(), "nothing decrypted before the first read");
            byte[] first = new byte[10];
            assertEquals(10, in.read(first));
            assertEquals(2990, in.available());
            byte[] rest = in.readNBytes(2990);
            byte[] all = new byte[3000];
            System.arraycopy(first, 0, all, 0, 10);
            System.arraycopy(rest, 0, all, 10, 2990);
            assertArrayEquals(msg, all);
            assertEquals(0, in.available());
        }
    }

    @Test
    void closeNotifyIsEndOfStreamEveryTime() throws Exception {
        try (Pair p = Pair.open()) {
            p.client.getOutputStream().write("bye\r\n".getBytes(StandardCharsets.US_ASCII));
            p.client.shutdownOutput(); // close_notify and FIN
            InputStream in = p.server.getInputStream();
            assertEquals("bye", TlsServerTest.readLine(in));
            assertEquals(-1, in.read());
            assertEquals(-1, in.read(new byte[5]));
        }
    }

    @Test
    void shutdownOutputSendsCloseNotifyAndFin() throws Exception {
        try (Pair p = Pair.open()) {
            p.server.getOutputStream().write("last\r\n".getBytes(StandardCharsets.US_ASCII));
            p.server.shutdownOutput();
            assertTrue(p.server.isOutputShutdown());
            InputStream in = p.client.getInputStream();
            assertEquals("last", TlsServerTest.readLine(in));
            assertEquals(-1, in.read(), "close_notify, then the end");
            assertThrows(IOException.class, () -> p.server.getOutputStream().write(1));
        }
    }

    /**
     * A peer that does not read: the writer blocks on the full window holding the write
     * lock. close() must not wait for it, must wake it, and must release the engine's
     * native memory once (a second close is harmless).
     */
    @Test
    void closeDoesNotWaitForAStalledWriterAndReleasesTheEngineOnce() throws Exception {
        try (Pair p = Pair.open()) {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    byte[] chunk = new byte[65_536];
                    for (int i = 0; i < 10_000; i++) p.server.getOutputStream().write(chunk);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, r -> Thread.ofVirtual().start(r));
            Thread.sleep(500); // long enough to fill the socket buffers of loopback
            assertTrue(!writer.isDone(), "the writer should be stuck on the full window");
            assertTimeoutPreemptively(Duration.ofSeconds(5), () -> p.server.close());
            Throwable e = assertThrows(Exception.class, () -> writer.get(10, TimeUnit.SECONDS));
            assertInstanceOf(IOException.class, e.getCause().getCause());
            assertEquals(0, ((ReferenceCounted) p.server.engine()).refCnt());
            p.server.close();
            assertTrue(p.server.isClosed());
        }
    }

    /** As the watchdog does: the TCP socket first, then the TLS socket's close releases the engine. */
    @Test
    void closingTheTcpSocketFirstStillLetsCloseReleaseTheEngine() throws Exception {
        try (Pair p = Pair.open()) {
            p.server.plain().close();
            assertTrue(!p.server.isClosed(), "not closed until its own close()");
            assertThrows(IOException.class, () -> p.server.getInputStream().read());
            p.server.close();
            assertTrue(p.server.isClosed());
            assertEquals(0, ((ReferenceCounted) p.server.engine()).refCnt());
        }
    }
}
