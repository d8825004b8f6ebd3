package mailproxy.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import mailproxy.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The bounded line reader: line ends, limits, bytes kept exact, buffered tails. */
@Timeout(10)
class ConnectionTest {
    private ServerSocket server;
    private Socket peer;
    private OutputStream toConnection;
    private Connection conn;

    @BeforeEach
    void pair() throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket a = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        peer = server.accept();
        toConnection = peer.getOutputStream();
        conn = new Connection(a, 64); // small on purpose: lines longer than the buffer must work
        conn.readTimeout(Duration.ofSeconds(5));
    }

    @AfterEach
    void close() throws IOException {
        conn.close();
        peer.close();
        server.close();
    }

    private void send(String s) throws IOException {
        toConnection.write(s.getBytes(StandardCharsets.ISO_8859_1));
        toConnection.flush();
    }

    @Test
    void readsCrlfAndBareLfLines() throws IOException {
        send("one\r\ntwo\nthree\r\n");
        assertEquals("one", conn.readLine(100));
        assertEquals("two", conn.readLine(100));
        assertEquals("three", conn.readLine(100));
    }

    @Test
    void keepsEveryByteIncludingNulAndUtf8() throws IOException {
        byte[] line = "p\0ä\u00ff".getBytes(StandardCharsets.UTF_8);
        toConnection.write(line);
        send("\r\n");
        String got = conn.readLine(100);
        assertArrayEquals(line, got.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void lineLongerThanTheInitialBufferIsRead() throws IOException {
        String longLine = "x".repeat(1000);
        send(longLine + "\r\n");
        assertEquals(longLine, conn.readLine(2000));
    }

    @Test
    void lineOverTheLimitIsRefusedWithoutWaitingForItsEnd() throws IOException {
        send("y".repeat(300)); // no line end ever comes
        assertThrows(LineTooLongException.class, () -> conn.readLine(200));
    }

    @Test
    void limitCountsTheLineEnd() throws IOException {
        send("abcd\r\n");
        assertThrows(LineTooLongException.class, () -> conn.readLine(5));
    }

    @Test
    void endOfStreamBeforeALineIsNullInsideALineIsAnError() throws IOException {
        send("done\r\npartial");
        peer.shutdownOutput();
        assertEquals("done", conn.readLine(100));
        assertThrows(EOFException.class, () -> conn.readLine(100));
    }

    @Test
    void endOfStreamGivesNull() throws IOException {
        peer.shutdownOutput();
        assertNull(conn.readLine(100));
    }

    @Test
    void pipelinedBytesStayBufferedUntilTaken() throws IOException {
        send("LOGIN\r\nNEXT\r\nAND");
        assertEquals("LOGIN", conn.readLine(100));
        // let the rest arrive in the same read if it has not yet
        while (!conn.hasBuffered()) Thread.onSpinWait();
        byte[] rest = conn.takeBuffered();
        String s = new String(rest, StandardCharsets.ISO_8859_1);
        // all that arrived so far is handed over, in order
        assertEquals("NEXT\r\nAND".substring(0, s.length()), s);
    }

    @Test
    void readExactlyReadsLiterals() throws IOException {
        send("{5}\r\nab\r\ncTAIL\r\n");
        assertEquals("{5}", conn.readLine(100));
        assertArrayEquals("ab\r\nc".getBytes(StandardCharsets.ISO_8859_1), conn.readExactly(5));
        assertEquals("TAIL", conn.readLine(100));
    }

    @Test
    void aLineTrickledByteByByteGetsNoMoreTimeThanOneNeverSent() throws Exception {
        conn.readTimeout(Duration.ofMillis(800));
        Thread trickler = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < 20; i++) { // 20 bytes, one each 150 ms: each read is quick, the line is not
                    send("x");
                    Await.pause(Duration.ofMillis(150));
                }
            } catch (Exception ignored) {
                // the connection closes under us at the end of the test
            }
        });
        assertThrows(SocketTimeoutException.class, () -> conn.readLine(100));
        // a per-read timeout would have waited for all 20 bytes; the line deadline did not
        org.junit.jupiter.api.Assertions.assertTrue(trickler.isAlive(), "timed out only after the trickle ended");
        trickler.interrupt();
    }

    @Test
    void readTimesOut() throws IOException {
        conn.readTimeout(Duration.ofMillis(200));
        assertThrows(SocketTimeoutException.class, () -> conn.readLine(100));
    }

    @Test
    void aWatchedPlainReadEndsAtItsDeadlineWithoutASocketTimeoutAndTheReplyStillGoesOut() throws Exception {
        try (Watchdog watchdog = new Watchdog(Duration.ofMillis(10))) {
            conn.watchWrites(watchdog, Duration.ofSeconds(5));
            conn.readTimeout(Duration.ofMillis(300));
            java.util.concurrent.CompletableFuture<Throwable> ended = new java.util.concurrent.CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try {
                    conn.readLine(100);
                    ended.complete(null);
                } catch (Throwable t) {
                    ended.complete(t);
                }
            });
            // C: (nothing)  -- the read parks untimed: no timer task per park (bench/RESULTS.md, "Issue 22")
            Await.until(Duration.ofSeconds(5), "the read parks without a socket timeout",
                    () -> soTimeout() == 0);
            org.junit.jupiter.api.Assertions.assertInstanceOf(SocketTimeoutException.class, ended.get());
            // S: * BYE   -- the watchdog shut only the input: the timeout reply still reaches the client
            conn.write("* BYE idle\r\n");
            byte[] got = peer.getInputStream().readNBytes(12);
            assertEquals("* BYE idle\r\n", new String(got, StandardCharsets.ISO_8859_1));
            // and every later line read times out at once
            assertThrows(SocketTimeoutException.class, () -> conn.readLine(100));
        }
    }

    @Test
    void endInputWakesAParkedRawReadWithEndOfInputAndTheSocketStillWrites() throws Exception {
        // the relay's way to stop its client-to-backend direction when the backend has
        // closed: an end of input, not a close under the read (a SocketException per session)
        conn.noReadTimeout();
        java.util.concurrent.CompletableFuture<Object> ended = new java.util.concurrent.CompletableFuture<>();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                ended.complete(conn.input().read(new byte[16]));
            } catch (Throwable t) {
                ended.complete(t);
            }
        });
        Await.until(Duration.ofSeconds(5), "the read parks", () -> reader.getState() == Thread.State.WAITING);
        org.junit.jupiter.api.Assertions.assertTrue(conn.endInput());
        assertEquals(-1, ended.get(5, java.util.concurrent.TimeUnit.SECONDS));
        // S: * BYE   -- only the input ended: a last word still reaches the peer
        conn.write("* BYE\r\n");
        assertEquals("* BYE\r\n", new String(peer.getInputStream().readNBytes(7), StandardCharsets.ISO_8859_1));
        conn.close();
        org.junit.jupiter.api.Assertions.assertFalse(conn.endInput(), "closed: nothing to end");
    }

    private int soTimeout() {
        try {
            return conn.socket().getSoTimeout();
        } catch (IOException e) {
            return -1;
        }
    }
}
