package mailproxy.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mailproxy.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A kick (README, "Moving users") over real loopback sockets: the proxy's line goes to the
 * client between two of the backend's responses, never inside one, byte for byte.
 */
@Timeout(20)
class RelayKickTest {
    private static final byte[] BYE = bytes("* BYE [UNAVAILABLE] moved\r\n");
    @RegisterExtension
    final RelayEnds ends = new RelayEnds();
    private final Watchdog sweeper = new Watchdog(Duration.ofMillis(20));
    private final AtomicInteger closedFirst = new AtomicInteger();

    @AfterEach
    void close() throws IOException {
        sweeper.close();
    }

    private static byte[] bytes(String s) { return s.getBytes(StandardCharsets.ISO_8859_1); }

    private Relay relay(ResponseEnds.Syntax syntax) {
        return new Relay(ends.client(), ends.backend(), Duration.ofMinutes(1), Duration.ofSeconds(2), 4096, sweeper).responses(syntax);
    }

    private static CompletableFuture<Relay.Result> run(Relay r) {
        return CompletableFuture.supplyAsync(() -> r.run("test"), x -> Thread.ofVirtual().start(x));
    }

    private void kick(Relay r, byte[] line, Duration wait) {
        r.kick(line, wait, () -> {
            assertTrue(ends.backend().socket().isClosed(), "the backend is closed before the line goes out");
            closedFirst.incrementAndGet();
        });
    }

    /** The relay has ended, and it ended by the kick. */
    private static void assertKicked(CompletableFuture<Relay.Result> done) throws Exception {
        assertEquals(Relay.End.KICKED, done.get(10, TimeUnit.SECONDS).end());
    }

    private static byte[] readExactly(Socket s, int n) throws IOException {
        return s.getInputStream().readNBytes(n);
    }

    @Test
    void betweenTwoResponsesTheByeComesAtOnceAndBothSidesClose() throws Exception {
        Relay r = relay(ResponseEnds.Syntax.LITERALS);
        CompletableFuture<Relay.Result> done = run(r);
        // S: * 1 EXISTS (the backend, idle afterwards)
        ends.backendEnd().getOutputStream().write(bytes("* 1 EXISTS\r\n"));
        assertEquals("* 1 EXISTS\r\n", new String(readExactly(ends.clientEnd(), 12), StandardCharsets.ISO_8859_1));
        kick(r, BYE, Duration.ofSeconds(5));
        // S: * BYE [UNAVAILABLE] moved, then the close
        assertArrayEquals(BYE, ends.clientEnd().getInputStream().readAllBytes());
        assertEquals(-1, ends.backendEnd().getInputStream().read(), "the backend connection is closed");
        assertKicked(done);
        assertEquals(1, closedFirst.get());
    }

    @Test
    void aBigFetchInFlightIsFinishedBeforeTheByeAndTheNextResponseIsNotStarted() throws Exception {
        Relay r = relay(ResponseEnds.Syntax.LITERALS);
        CompletableFuture<Relay.Result> done = run(r);
        // a literal whose bytes look like the ends of lines, literals and a BYE of its own
        byte[] literal = new byte[300_000];
        new Random(21).nextBytes(literal);
        byte[] decoy = bytes(")\r\n* BYE {12}\r\nabc\r\n");
        for (int at = 0; at + decoy.length < literal.length; at += 10_000) System.arraycopy(decoy, 0, literal, at, decoy.length);
        byte[] head = bytes("* 1 FETCH (UID 7 BODY[] {" + literal.length + "}\r\n");
        byte[] tail = bytes(" FLAGS (\\Seen))\r\n");
        byte[] next = bytes("* 2 FETCH (UID 8 BODY[] {3}\r\nxyz)\r\na OK done\r\n");
        OutputStream toProxy = ends.backendEnd().getOutputStream();
        toProxy.write(head);
        toProxy.write(literal, 0, 100_000);
        toProxy.flush();
        InputStream atClient = ends.clientEnd().getInputStream();
        byte[] first = atClient.readNBytes(head.length + 50_000);
        // the kick comes while the literal is on its way
        kick(r, BYE, Duration.ofSeconds(5));
        toProxy.write(literal, 100_000, literal.length - 100_000);
        // the response's end and the start of the next in one write: only the first may pass
        ByteArrayOutputStream rest = new ByteArrayOutputStream();
        rest.write(tail);
        rest.write(next);
        toProxy.write(rest.toByteArray());
        toProxy.flush();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(head);
        expected.write(literal);
        expected.write(tail);
        expected.write(BYE);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        got.write(first);
        got.write(atClient.readAllBytes());
        assertArrayEquals(expected.toByteArray(), got.toByteArray(), "the whole FETCH, then the BYE, then the close");
        assertKicked(done);
    }

    @Test
    void anSmtpReplyOfSeveralLinesIsFinishedBeforeThe421() throws Exception {
        Relay r = relay(ResponseEnds.Syntax.CONTINUED_LINES);
        CompletableFuture<Relay.Result> done = run(r);
        OutputStream toProxy = ends.backendEnd().getOutputStream();
        toProxy.write(bytes("250-mx.example\r\n250-PIPELINING\r\n"));
        assertEquals("250-mx.example\r\n250-PIPELINING\r\n", new String(readExactly(ends.clientEnd(), 32), StandardCharsets.ISO_8859_1));
        byte[] line = bytes("421 4.3.2 mx.example Service moving, please reconnect\r\n");
        kick(r, line, Duration.ofSeconds(5));
        toProxy.write(bytes("250 SIZE 1000\r\n250 too late\r\n"));
        assertEquals("250 SIZE 1000\r\n421 4.3.2 mx.example Service moving, please reconnect\r\n",
                new String(ends.clientEnd().getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1));
        assertKicked(done);
    }

    @Test
    void withoutALineBothSidesCloseAtOnce() throws Exception {
        // POP3: RFC 1939 has no unsolicited response
        Relay r = relay(null);
        CompletableFuture<Relay.Result> done = run(r);
        ends.backendEnd().getOutputStream().write(bytes("+OK 2 messages (320 octets)\r\n.\r\n"));
        readExactly(ends.clientEnd(), 32);
        kick(r, new byte[0], Duration.ofSeconds(5));
        assertEquals(-1, ends.clientEnd().getInputStream().read());
        assertKicked(done);
        assertEquals(1, closedFirst.get());
    }

    @Test
    void aResponseThatNeverEndsIsCutWithoutTheLineAfterTheWait() throws Exception {
        Relay r = relay(ResponseEnds.Syntax.LITERALS);
        CompletableFuture<Relay.Result> done = run(r);
        ends.backendEnd().getOutputStream().write(bytes("* 1 FETCH (BODY[] {1000}\r\nhalf"));
        readExactly(ends.clientEnd(), 30);
        kick(r, BYE, Duration.ofMillis(300));
        // the backend stalls in the middle of its literal: a BYE now would be read as literal bytes
        assertEquals(-1, ends.clientEnd().getInputStream().read(), "closed without a word");
        assertKicked(done);
    }

    @Test
    void aKickBeforeTheRelayStartsSendsTheLineAndCloses() throws Exception {
        Relay r = relay(ResponseEnds.Syntax.LITERALS);
        kick(r, BYE, Duration.ofSeconds(5));
        CompletableFuture<Relay.Result> done = run(r);
        assertArrayEquals(BYE, ends.clientEnd().getInputStream().readAllBytes());
        assertKicked(done);
        Await.until(Duration.ofSeconds(5), () -> closedFirst.get() == 1);
    }

    @Test
    void responseEndsFollowsLinesLiteralsAndContinuations() {
        ResponseEnds imap = new ResponseEnds(ResponseEnds.Syntax.LITERALS);
        byte[] b = bytes("* 1 FETCH (BODY[] {5}\r\nab\r\nc)\r\n* OK {0}\r\n\r\n");
        // with stop, only what finishes the response under way passes: here the FETCH
        assertEquals(0, imap.feed(b, 0, 0, true));
        assertEquals(b.length, imap.feed(b, 0, 10, false) + imap.feed(b, 10, b.length - 10, false));
        assertTrue(imap.atEnd());
        ResponseEnds cut = new ResponseEnds(ResponseEnds.Syntax.LITERALS);
        cut.feed(b, 0, 3, false);
        assertEquals(bytes("* 1 FETCH (BODY[] {5}\r\nab\r\nc)\r\n").length - 3, cut.feed(b, 3, b.length - 3, true));
        ResponseEnds smtp = new ResponseEnds(ResponseEnds.Syntax.CONTINUED_LINES);
        byte[] s = bytes("250-a\r\n250 b\r\n");
        smtp.feed(s, 0, 7, false);
        assertEquals(7, smtp.feed(s, 7, 7, true));
        assertTrue(smtp.atEnd());
    }
}
