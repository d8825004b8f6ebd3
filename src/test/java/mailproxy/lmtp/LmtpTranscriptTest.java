package mailproxy.lmtp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import mailproxy.testing.FreePorts;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * LMTP delivery routing (RFC 2033) against scripted backends, byte for byte: each RCPT
 * routed by its domain, one backend transaction per server, the message passed on
 * unchanged (dot-stuffed as sent), and one reply per accepted recipient in RCPT order, as
 * each backend answered; a backend that fails gets 4xx for its own recipients only.
 */
@Timeout(60)
class LmtpTranscriptTest {
    /** Dot-stuffed lines, a line of dots, 8-bit bytes, an empty line: all passed on as sent. */
    static final String MESSAGE = "From: a@example\r\nSubject: t\u00e9st\r\n\r\n..leading dot\r\n...\r\n\r\nlast line\r\n";

    static String config(int one, int two, String listenerExtra) {
        return """
                mailproxy {
                  server-name = "proxy.test"
                  limits { backend-timeout = 5s, greeting-timeout = 2s }
                  backends {
                    one { host = "127.0.0.1", lmtp { port = %d } }
                    two { host = "127.0.0.1", lmtp { port = %d } }
                  }
                  routers { r { type = static, domains { "one.test" = one, "two.test" = two } } }
                  listeners = [ { name = lmtp, protocol = lmtp, listen = "127.0.0.1:0" %s } ]
                }
                """.formatted(one, two, listenerExtra);
    }

    static RawClient lhlo(TestProxy p) throws Exception {
        RawClient c = RawClient.connect(p.port("lmtp"));
        assertEquals("220 proxy.test LMTP ready", c.readLine());
        c.line("LHLO mta.example");
        assertEquals("250-proxy.test", c.readLine());
        assertEquals("250-PIPELINING", c.readLine());
        assertEquals("250-ENHANCEDSTATUSCODES", c.readLine());
        assertEquals("250-8BITMIME", c.readLine());
        assertEquals("250 SIZE 67108864", c.readLine());
        return c;
    }

    /** The proxy ends each backend transaction with QUIT without waiting: the fake may read it a little later. */
    static void awaitQuit(FakeLmtpBackend b) throws InterruptedException {
        for (int i = 0; i < 500 && !b.received.contains("QUIT"); i++) Thread.sleep(10);
    }

    static void send(RawClient c, String message) throws Exception {
        c.send(message.getBytes(StandardCharsets.ISO_8859_1));
        c.send(".\r\n");
    }

    @Test
    void recipientsOnTwoBackendsGetTheirRepliesInRcptOrder() throws Exception {
        try (FakeLmtpBackend one = new FakeLmtpBackend("one"); FakeLmtpBackend two = new FakeLmtpBackend("two");
             TestProxy p = TestProxy.start(config(one.port(), two.port(), ""));
             RawClient c = lhlo(p)) {
            two.rcptReplies.put("nobody@two.test", "550 5.1.1 <nobody@two.test> User doesn't exist");
            c.line("MAIL FROM:<sender@example> SIZE=100 BODY=8BITMIME");
            assertEquals("250 2.1.0 Ok", c.readLine());
            c.line("RCPT TO:<a@one.test>");
            assertEquals("250 2.1.5 Ok", c.readLine());
            c.line("RCPT TO:<b@two.test>");
            assertEquals("250 2.1.5 Ok", c.readLine());
            c.line("RCPT TO:<nobody@two.test>");
            assertEquals("550 5.1.1 <nobody@two.test> User doesn't exist", c.readLine());
            c.line("RCPT TO:<c@one.test>");
            assertEquals("250 2.1.5 Ok", c.readLine());
            c.line("RCPT TO:<x@elsewhere.test>");
            assertEquals("554 5.7.1 Relay access denied", c.readLine());
            c.line("DATA");
            assertEquals("354 End data with <CR><LF>.<CR><LF>", c.readLine());
            send(c, MESSAGE);
            // one reply per accepted recipient, in RCPT order, each from its own backend
            // (SIZE= is left out towards backends that do not announce SIZE)
            assertEquals("250 2.0.0 <a@one.test> saved by one", c.readLine());
            assertEquals("250 2.0.0 <b@two.test> saved by two", c.readLine());
            assertEquals("250 2.0.0 <c@one.test> saved by one", c.readLine());
            c.line("QUIT");
            assertEquals("221 2.0.0 Bye", c.readLine());
            awaitQuit(one);
            awaitQuit(two);
            assertEquals(List.of("LHLO mta.example", "MAIL FROM:<sender@example> BODY=8BITMIME", "RCPT TO:<a@one.test>",
                    "RCPT TO:<c@one.test>", "DATA", "QUIT"), one.received);
            assertEquals(List.of("LHLO mta.example", "MAIL FROM:<sender@example> BODY=8BITMIME", "RCPT TO:<b@two.test>",
                    "RCPT TO:<nobody@two.test>", "DATA", "QUIT"), two.received);
            assertArrayEquals(MESSAGE.getBytes(StandardCharsets.ISO_8859_1), one.messages.get(0));
            assertArrayEquals(MESSAGE.getBytes(StandardCharsets.ISO_8859_1), two.messages.get(0));
            assertEquals(1, one.connections());
            assertEquals(1, two.connections());
        }
    }

    @Test
    void aBackendFailingMidTransactionGets4xxForItsRecipientsOnly() throws Exception {
        try (FakeLmtpBackend one = new FakeLmtpBackend("one"); FakeLmtpBackend two = new FakeLmtpBackend("two");
             TestProxy p = TestProxy.start(config(one.port(), two.port(), ""));
             RawClient c = lhlo(p)) {
            two.failure = FakeLmtpBackend.Failure.CLOSE_AFTER_FIRST_REPLY;
            c.line("MAIL FROM:<>");
            assertEquals("250 2.1.0 Ok", c.readLine());
            for (String r : List.of("b1@two.test", "a@one.test", "b2@two.test", "b3@two.test")) {
                c.line("RCPT TO:<" + r + ">");
                assertEquals("250 2.1.5 Ok", c.readLine());
            }
            c.line("DATA");
            c.expect("354 ");
            send(c, MESSAGE);
            // two answered for b1, then broke: b2 and b3 get 4xx, the client retries just them
            assertEquals("250 2.0.0 <b1@two.test> saved by two", c.readLine());
            assertEquals("250 2.0.0 <a@one.test> saved by one", c.readLine());
            assertEquals("451 4.4.2 Error: backend connection failed, try again later", c.readLine());
            assertEquals("451 4.4.2 Error: backend connection failed, try again later", c.readLine());
            // the session goes on: the retry of the failed ones reaches a fresh connection
            two.failure = FakeLmtpBackend.Failure.NONE;
            c.line("MAIL FROM:<>");
            assertEquals("250 2.1.0 Ok", c.readLine());
            c.line("RCPT TO:<b2@two.test>");
            assertEquals("250 2.1.5 Ok", c.readLine());
            c.line("DATA");
            c.expect("354 ");
            send(c, MESSAGE);
            assertEquals("250 2.0.0 <b2@two.test> saved by two", c.readLine());
            assertEquals(2, two.messages.size());
        }
    }

    @Test
    void aBackendClosingAfterTheMessageFailsOnlyItsRecipients() throws Exception {
        try (FakeLmtpBackend one = new FakeLmtpBackend("one"); FakeLmtpBackend two = new FakeLmtpBackend("two");
             TestProxy p = TestProxy.start(config(one.port(), two.port(), ""));
             RawClient c = lhlo(p)) {
            one.failure = FakeLmtpBackend.Failure.CLOSE_AFTER_MESSAGE;
            two.failure = FakeLmtpBackend.Failure.REFUSE_DATA;
            c.line("MAIL FROM:<>");
            c.expect("250 ");
            c.line("RCPT TO:<a@one.test>");
            c.expect("250 ");
            c.line("RCPT TO:<b@two.test>");
            c.expect("250 ");
            c.line("DATA");
            c.expect("354 ");
            send(c, MESSAGE);
            assertEquals("451 4.4.2 Error: backend connection failed, try again later", c.readLine());
            // a backend that refuses DATA: its answer for each of its recipients
            assertEquals("451 4.3.0 two cannot take data now", c.readLine());
        }
    }

    @Test
    void oneBackendStreamsTheMessageThrough() throws Exception {
        try (FakeLmtpBackend one = new FakeLmtpBackend("one"); FakeLmtpBackend two = new FakeLmtpBackend("two");
             TestProxy p = TestProxy.start(config(one.port(), two.port(), ", lmtp-memory-buffer = 0"));
             RawClient c = lhlo(p)) {
            c.line("MAIL FROM:<s@example>");
            c.expect("250 ");
            c.line("RCPT TO:<a@one.test>");
            c.expect("250 ");
            c.line("RCPT TO:<b@one.test>");
            c.expect("250 ");
            c.line("DATA");
            c.expect("354 ");
            // (bare LF and CR line ends: LmtpSmugglingTest)
            c.send("one\r\nt\u00f6\r\n.\r\n");
            assertEquals("250 2.0.0 <a@one.test> saved by one", c.readLine());
            assertEquals("250 2.0.0 <b@one.test> saved by one", c.readLine());
            assertEquals("one\r\nt\u00f6\r\n", new String(one.messages.get(0), StandardCharsets.ISO_8859_1));
            assertEquals(0, two.connections());
        }
    }

    @Test
    void aBackendThatIsDownFailsItsRecipientTemporarily() throws Exception {
        try (FakeLmtpBackend one = new FakeLmtpBackend("one");
             TestProxy p = TestProxy.start(config(one.port(), FreePorts.closedPort(), ""));
             RawClient c = lhlo(p)) {
            c.line("MAIL FROM:<>");
            c.expect("250 ");
            c.line("RCPT TO:<b@two.test>");
            assertEquals("451 4.4.1 Error: backend unavailable, try again later", c.readLine());
            c.line("RCPT TO:<a@one.test>");
            c.expect("250 ");
            c.line("DATA");
            c.expect("354 ");
            send(c, MESSAGE);
            assertEquals("250 2.0.0 <a@one.test> saved by one", c.readLine());
        }
    }

    @Test
    void aRefusedMailAnswersEveryRecipientOfThatBackend() throws Exception {
        try (FakeLmtpBackend one = new FakeLmtpBackend("one"); FakeLmtpBackend two = new FakeLmtpBackend("two");
             TestProxy p = TestProxy.start(config(one.port(), two.port(), ""));
             RawClient c = lhlo(p)) {
            two.mailReply = "452 4.3.1 Insufficient system storage";
            c.line("MAIL FROM:<>");
            c.expect("250 ");
            c.line("RCPT TO:<b@two.test>");
            assertEquals("452 4.3.1 Insufficient system storage", c.readLine());
            c.line("RCPT TO:<c@two.test>");
            assertEquals("452 4.3.1 Insufficient system storage", c.readLine());
            c.line("DATA");
            assertEquals("503 5.5.1 Error: no valid recipients", c.readLine());
            c.line("RSET");
            assertEquals("250 2.0.0 Ok", c.readLine());
            awaitQuit(two);
            assertEquals(List.of("LHLO mta.example", "MAIL FROM:<>", "QUIT"), two.received);
        }
    }

    @Test
    void tooBigIs552AndDeliveredNowhere(@TempDir Path tmp) throws Exception {
        String extra = ", lmtp-max-message-size = 2k, lmtp-memory-buffer = 100, lmtp-temp-dir = \"" + tmp + "\"";
        try (FakeLmtpBackend one = new FakeLmtpBackend("one"); FakeLmtpBackend two = new FakeLmtpBackend("two");
             TestProxy p = TestProxy.start(config(one.port(), two.port(), extra));
             RawClient c = RawClient.connect(p.port("lmtp"))) {
            c.expect("220 ");
            c.line("LHLO mta.example");
            for (String l = c.readLine(); !l.startsWith("250 "); l = c.readLine()) assertTrue(l.startsWith("250-"));
            c.line("MAIL FROM:<> SIZE=5000");
            assertEquals("552 5.3.4 Message size exceeds fixed maximum message size", c.readLine());
            String big = "x".repeat(998) + "\r\n";
            // split over both: kept in a temp file, then too big
            c.line("MAIL FROM:<>");
            c.expect("250 ");
            c.line("RCPT TO:<a@one.test>");
            c.expect("250 ");
            c.line("RCPT TO:<b@two.test>");
            c.expect("250 ");
            c.line("DATA");
            c.expect("354 ");
            send(c, big.repeat(3));
            assertEquals("552 5.3.4 Message size exceeds fixed maximum message size", c.readLine());
            assertEquals("552 5.3.4 Message size exceeds fixed maximum message size", c.readLine());
            assertEquals(0, one.messages.size() + two.messages.size());
            // one backend: streamed, then cut off before the final "."
            c.line("MAIL FROM:<>");
            c.expect("250 ");
            c.line("RCPT TO:<a@one.test>");
            c.expect("250 ");
            c.line("DATA");
            c.expect("354 ");
            send(c, big.repeat(3));
            assertEquals("552 5.3.4 Message size exceeds fixed maximum message size", c.readLine());
            assertEquals(0, one.messages.size());
            // within the limit, through the temp file, to both
            c.line("MAIL FROM:<>");
            c.expect("250 ");
            c.line("RCPT TO:<a@one.test>");
            c.expect("250 ");
            c.line("RCPT TO:<b@two.test>");
            c.expect("250 ");
            c.line("DATA");
            c.expect("354 ");
            send(c, big + ".x\r\n");
            c.expect("250 2.0.0 <a@one.test>");
            c.expect("250 2.0.0 <b@two.test>");
            assertEquals(big + ".x\r\n", new String(one.messages.get(0), StandardCharsets.ISO_8859_1));
            assertEquals(big + ".x\r\n", new String(two.messages.get(0), StandardCharsets.ISO_8859_1));
            assertEquals(List.of(), LmtpSpoolTest.spoolFiles(tmp), "temporary files are deleted");
        }
    }

    @Test
    void commandsOutOfOrderAndForeignVerbs() throws Exception {
        try (FakeLmtpBackend one = new FakeLmtpBackend("one"); FakeLmtpBackend two = new FakeLmtpBackend("two");
             TestProxy p = TestProxy.start(config(one.port(), two.port(), ""));
             RawClient c = RawClient.connect(p.port("lmtp"))) {
            c.expect("220 ");
            c.line("EHLO mta.example");
            assertEquals("500 5.5.1 Error: this is LMTP, use LHLO", c.readLine());
            c.line("MAIL FROM:<>");
            assertEquals("503 5.5.1 Error: send LHLO first", c.readLine());
            c.line("LHLO mta.example");
            for (String l = c.readLine(); !l.startsWith("250 "); l = c.readLine()) assertTrue(l.startsWith("250-"));
            c.line("RCPT TO:<a@one.test>");
            assertEquals("503 5.5.1 Error: need MAIL command", c.readLine());
            c.line("NOOP");
            assertEquals("250 2.0.0 Ok", c.readLine());
            c.line("BDAT 10 LAST");
            assertEquals("502 5.5.1 Error: command not implemented", c.readLine());
            assertTrue(c.closedByPeer());
        }
    }
}
