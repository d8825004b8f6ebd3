package mailproxy.lmtp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import mailproxy.testing.Await;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.RawClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * C:/S: transcripts of LMTP delivery routing (RFC 2033) against two fake backends ("one"
 * for one.test, "two" for two.test), byte for byte: each RCPT routed by its domain, one
 * backend transaction per server, the message passed on unchanged (dot-stuffed as sent),
 * and one reply per accepted recipient in RCPT order, as each backend answered; a backend
 * that fails gets 4xx for its own recipients only.
 */
@Timeout(60)
class LmtpTranscriptTest {
    /** Dot-stuffed lines, a line of dots, 8-bit bytes, an empty line: all passed on as sent. */
    static final String MESSAGE = "From: a@example\r\nSubject: t\u00e9st\r\n\r\n..leading dot\r\n...\r\n\r\nlast line\r\n";
    static final String BACKEND_FAILED = "451 4.4.2 Error: backend connection failed, try again later";
    static final String TOO_BIG = "552 5.3.4 Message size exceeds fixed maximum message size";

    private LmtpFixture f;

    /** The two fake backends and the proxy; {@code extra}: more keys of the listener. */
    private RawClient start(String extra) throws Exception {
        f = LmtpFixture.start(extra);
        return f.lhlo();
    }

    @AfterEach
    void stop() throws Exception {
        if (f != null) f.close();
    }

    /** The proxy ends each backend transaction with QUIT without waiting: the fake may read it a little later. */
    static void awaitQuit(FakeBackend b) {
        Await.until(Duration.ofSeconds(5), () -> b.received().contains("QUIT"));
    }

    /** The message as it is, then the final ".". */
    static void send(RawClient c, String message) throws Exception {
        c.send(message.getBytes(StandardCharsets.ISO_8859_1));
        c.send(".\r\n");
    }

    /** The message and its final "."; then each reply, exactly. */
    static void deliver(RawClient c, String message, String... replies) throws Exception {
        send(c, message);
        for (String reply : replies) assertEquals(reply, c.readLine());
    }

    @Test
    void recipientsOnTwoBackendsGetTheirRepliesInRcptOrder() throws Exception {
        RawClient c = start("");
        f.two().override("RCPT nobody@two.test", "550 5.1.1 <nobody@two.test> User doesn't exist");
        c.transcript("""
                C: MAIL FROM:<sender@example> SIZE=100 BODY=8BITMIME
                S: 250 2.1.0 Ok
                C: RCPT TO:<a@one.test>
                S: 250 2.1.5 Ok
                C: RCPT TO:<b@two.test>
                S: 250 2.1.5 Ok
                C: RCPT TO:<nobody@two.test>
                S: 550 5.1.1 <nobody@two.test> User doesn't exist
                C: RCPT TO:<c@one.test>
                S: 250 2.1.5 Ok
                C: RCPT TO:<x@elsewhere.test>
                S: 554 5.7.1 Relay access denied
                C: DATA
                S: 354 End data with <CR><LF>.<CR><LF>
                """);
        send(c, MESSAGE);
        c.transcript("""
                # one reply per accepted recipient, in RCPT order, each from its own backend
                # (SIZE= is left out towards backends that do not announce SIZE)
                S: 250 2.0.0 <a@one.test> saved by one
                S: 250 2.0.0 <b@two.test> saved by two
                S: 250 2.0.0 <c@one.test> saved by one
                C: QUIT
                S: 221 2.0.0 Bye
                """);
        awaitQuit(f.one());
        awaitQuit(f.two());
        assertEquals(List.of("LHLO mta.example", "MAIL FROM:<sender@example> BODY=8BITMIME", "RCPT TO:<a@one.test>",
                "RCPT TO:<c@one.test>", "DATA", "QUIT"), f.one().received());
        assertEquals(List.of("LHLO mta.example", "MAIL FROM:<sender@example> BODY=8BITMIME", "RCPT TO:<b@two.test>",
                "RCPT TO:<nobody@two.test>", "DATA", "QUIT"), f.two().received());
        assertArrayEquals(MESSAGE.getBytes(StandardCharsets.ISO_8859_1), f.one().rawMessages().get(0));
        assertArrayEquals(MESSAGE.getBytes(StandardCharsets.ISO_8859_1), f.two().rawMessages().get(0));
        assertEquals(1, f.one().accepted());
        assertEquals(1, f.two().accepted());
    }

    @Test
    void aBackendFailingMidTransactionGets4xxForItsRecipientsOnly() throws Exception {
        RawClient c = start("");
        f.two().failure(FakeBackends.LmtpFailure.CLOSE_AFTER_FIRST_REPLY);
        LmtpFixture.envelope(c, "", "b1@two.test", "a@one.test", "b2@two.test", "b3@two.test");
        send(c, MESSAGE);
        c.transcript("""
                # two answered for b1, then broke: b2 and b3 get 4xx, the client retries just them
                S: 250 2.0.0 <b1@two.test> saved by two
                S: 250 2.0.0 <a@one.test> saved by one
                S: %1$s
                S: %1$s
                """.formatted(BACKEND_FAILED));
        // the session goes on: the retry of the failed ones reaches a fresh connection
        f.two().failure(FakeBackends.LmtpFailure.NONE);
        LmtpFixture.envelope(c, "", "b2@two.test");
        deliver(c, MESSAGE, "250 2.0.0 <b2@two.test> saved by two");
        assertEquals(2, f.two().rawMessages().size());
    }

    @Test
    void aBackendClosingAfterTheMessageFailsOnlyItsRecipients() throws Exception {
        RawClient c = start("");
        f.one().failure(FakeBackends.LmtpFailure.CLOSE_AFTER_MESSAGE);
        f.two().failure(FakeBackends.LmtpFailure.REFUSE_DATA);
        LmtpFixture.envelope(c, "", "a@one.test", "b@two.test");
        send(c, MESSAGE);
        c.transcript("""
                S: %s
                # a backend that refuses DATA: its answer for each of its recipients
                S: 451 4.3.0 two cannot take data now
                """.formatted(BACKEND_FAILED));
    }

    @Test
    void oneBackendStreamsTheMessageThrough() throws Exception {
        RawClient c = start(", lmtp-memory-buffer = 0");
        LmtpFixture.envelope(c, "s@example", "a@one.test", "b@one.test");
        // (bare LF and CR line ends: LmtpSmugglingTest)
        c.send("one\r\nt\u00f6\r\n.\r\n");
        c.transcript("""
                S: 250 2.0.0 <a@one.test> saved by one
                S: 250 2.0.0 <b@one.test> saved by one
                """);
        assertEquals("one\r\nt\u00f6\r\n", new String(f.one().rawMessages().get(0), StandardCharsets.ISO_8859_1));
        assertEquals(0, f.two().accepted());
    }

    @Test
    void aBackendThatIsDownFailsItsRecipientTemporarily() throws Exception {
        f = LmtpFixture.withTwoDown();
        RawClient c = f.lhlo();
        c.transcript("""
                C: MAIL FROM:<>
                S: 250 ...
                C: RCPT TO:<b@two.test>
                S: 451 4.4.1 Error: backend unavailable, try again later
                C: RCPT TO:<a@one.test>
                S: 250 ...
                C: DATA
                S: 354 ...
                """);
        deliver(c, MESSAGE, "250 2.0.0 <a@one.test> saved by one");
    }

    @Test
    void aRefusedMailAnswersEveryRecipientOfThatBackend() throws Exception {
        RawClient c = start("");
        f.two().override("MAIL", "452 4.3.1 Insufficient system storage");
        c.transcript("""
                C: MAIL FROM:<>
                S: 250 ...
                C: RCPT TO:<b@two.test>
                S: 452 4.3.1 Insufficient system storage
                C: RCPT TO:<c@two.test>
                S: 452 4.3.1 Insufficient system storage
                C: DATA
                S: 503 5.5.1 Error: no valid recipients
                C: RSET
                S: 250 2.0.0 Ok
                """);
        awaitQuit(f.two());
        assertEquals(List.of("LHLO mta.example", "MAIL FROM:<>", "QUIT"), f.two().received());
    }

    @Test
    void tooBigIs552AndDeliveredNowhere(@TempDir Path tmp) throws Exception {
        f = LmtpFixture.start(", lmtp-max-message-size = 2k, lmtp-memory-buffer = 100, lmtp-temp-dir = \"" + tmp + "\"");
        RawClient c = f.connect();
        c.transcript("S: 220 ...\nC: LHLO mta.example");
        for (String l = c.readLine(); !l.startsWith("250 "); l = c.readLine()) assertTrue(l.startsWith("250-"));
        String big = "x".repeat(998) + "\r\n";
        c.transcript("""
                C: MAIL FROM:<> SIZE=5000
                S: %s
                """.formatted(TOO_BIG));
        // split over both: kept in a temp file, then too big
        LmtpFixture.envelope(c, "", "a@one.test", "b@two.test");
        send(c, big.repeat(3));
        c.transcript("S: %1$s\nS: %1$s".formatted(TOO_BIG));
        assertEquals(0, f.one().rawMessages().size() + f.two().rawMessages().size());
        // one backend: streamed, then cut off before the final "."
        LmtpFixture.envelope(c, "", "a@one.test");
        send(c, big.repeat(3));
        c.transcript("S: " + TOO_BIG);
        assertEquals(0, f.one().rawMessages().size());
        // within the limit, through the temp file, to both
        LmtpFixture.envelope(c, "", "a@one.test", "b@two.test");
        send(c, big + ".x\r\n");
        c.transcript("""
                S: 250 2.0.0 <a@one.test>...
                S: 250 2.0.0 <b@two.test>...
                """);
        assertEquals(big + ".x\r\n", new String(f.one().rawMessages().get(0), StandardCharsets.ISO_8859_1));
        assertEquals(big + ".x\r\n", new String(f.two().rawMessages().get(0), StandardCharsets.ISO_8859_1));
        assertEquals(List.of(), LmtpSpoolTest.spoolFiles(tmp), "temporary files are deleted");
    }

    @Test
    void commandsOutOfOrderAndForeignVerbs() throws Exception {
        f = LmtpFixture.start("");
        RawClient c = f.connect();
        c.transcript("""
                S: 220 ...
                C: EHLO mta.example
                S: 500 5.5.1 Error: this is LMTP, use LHLO
                C: MAIL FROM:<>
                S: 503 5.5.1 Error: send LHLO first
                C: LHLO mta.example
                """);
        for (String l = c.readLine(); !l.startsWith("250 "); l = c.readLine()) assertTrue(l.startsWith("250-"));
        c.transcript("""
                C: RCPT TO:<a@one.test>
                S: 503 5.5.1 Error: need MAIL command
                C: NOOP
                S: 250 2.0.0 Ok
                C: BDAT 10 LAST
                S: 502 5.5.1 Error: command not implemented
                S closes
                """);
    }
}
