package mailproxy.lmtp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.RawClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SMTP smuggling against the LMTP listener (CVE-2023-51764 and kin): a message whose data
 * holds a line end other than CRLF before a "." must not end DATA there, or the bytes after
 * it run as a second transaction with an envelope the sending MTA never checked. Only
 * CRLF "." CRLF ends DATA (RFC 5321 §4.1.1.4); a bare LF or CR in the data is refused with
 * 550 5.5.2 per recipient (lmtp-bare-newline = reject, as Postfix's
 * smtpd_forbid_bare_newline) or, with normalize, becomes CRLF with the dot stuffed.
 * Every probe is checked on the backend's side: one MAIL, at most one message.
 */
@Timeout(60)
class LmtpSmugglingTest {
    static final String SMUGGLED = "MAIL FROM:<ceo@bank.test>\r\nRCPT TO:<victim@one.test>\r\nDATA\r\n"
            + "Subject: wire the money\r\n\r\nforged\r\n";
    static final String BARE_LF = "550 5.5.2 Error: bare <LF> or <CR> received";

    /** A client that said LHLO, opened a transaction to {@code recipients} and sent {@code data} as its message. */
    static RawClient probe(LmtpFixture f, String data, String... recipients) throws Exception {
        RawClient c = f.lhlo();
        LmtpFixture.envelope(c, "mta@example", recipients);
        c.send(data);
        return c;
    }

    /**
     * The backend saw only the client's own transactions ({@code n} MAILs of the client's
     * sender) and nothing of the smuggled envelope. The proxy waits for the backend's reply
     * to each MAIL and RCPT, so by the time the client has its reply the backend has its line.
     */
    static void transactions(FakeBackend b, int n) {
        List<String> mails = b.received().stream().filter(l -> l.startsWith("MAIL")).toList();
        assertEquals(java.util.Collections.nCopies(n, "MAIL FROM:<mta@example>"), mails, "backend transactions: " + b.received());
        assertEquals(List.of(), b.received().stream().filter(l -> l.contains("victim@") || l.contains("ceo@")).toList());
    }

    /** After a refusal the session goes on: a clean message is delivered as usual. */
    static void stillDelivers(RawClient c, FakeBackend b, int before) throws Exception {
        c.line("RSET");
        assertEquals("250 2.0.0 Ok", c.readLine());
        LmtpFixture.envelope(c, "mta@example", "a@one.test");
        c.send("Subject: clean\r\n\r\nok\r\n.\r\n");
        assertEquals("250 2.0.0 <a@one.test> saved by one", c.readLine());
        assertEquals(before + 1, b.rawMessages().size());
        assertEquals("Subject: clean\r\n\r\nok\r\n", new String(b.rawMessages().get(before), StandardCharsets.ISO_8859_1));
    }

    @Test
    void lfDotLfDoesNotEndDataAndStartsNoSecondTransaction() throws Exception {
        try (LmtpFixture f = LmtpFixture.start("")) {
            // C: hello<LF>.<LF>MAIL FROM:<ceo@bank.test>... <CRLF>.<CRLF>
            RawClient c = probe(f, "hello\n.\n" + SMUGGLED + ".\r\n", "a@one.test");
            // S: one reply for the one accepted recipient, for the whole data
            assertEquals(BARE_LF, c.readLine());
            c.line("NOOP");
            assertEquals("250 2.0.0 Ok", c.readLine());
            assertEquals(0, f.one().rawMessages().size(), "nothing delivered");
            transactions(f.one(), 1);
            stillDelivers(c, f.one(), 0);
            transactions(f.one(), 2);
        }
    }

    /** The other variants of the attack: LF "." CRLF, CRLF "." LF, and a bare CR before the dot. */
    @Test
    void everyOtherLineEndBeforeTheDotIsRefusedToo() throws Exception {
        for (String probe : List.of("hello\n.\r\n", "hello\r\n.\n", "hello\r.\r\n", "hello\r\n.\r\r\n")) {
            try (LmtpFixture f = LmtpFixture.start("")) {
                RawClient c = probe(f, probe + SMUGGLED + ".\r\n", "a@one.test");
                assertEquals(BARE_LF, c.readLine(), "probe " + probe.replace("\r", "<CR>").replace("\n", "<LF>"));
                c.line("QUIT");
                assertEquals("221 2.0.0 Bye", c.readLine());
                assertEquals(0, f.one().rawMessages().size());
                transactions(f.one(), 1);
            }
        }
    }

    /** Recipients on two backends: the message is kept first, then refused for both; neither gets it. */
    @Test
    void aSpooledMessageWithABareLfReachesNoBackend() throws Exception {
        try (LmtpFixture f = LmtpFixture.start("")) {
            RawClient c = probe(f, "hello\n.\n" + SMUGGLED + ".\r\n", "a@one.test", "b@two.test");
            assertEquals(BARE_LF, c.readLine());
            assertEquals(BARE_LF, c.readLine());
            c.line("QUIT");
            assertEquals("221 2.0.0 Bye", c.readLine());
            assertEquals(0, f.one().rawMessages().size() + f.two().rawMessages().size());
            transactions(f.one(), 1);
            transactions(f.two(), 1);
        }
    }

    /** lmtp-bare-newline = normalize: one message, every line end CRLF, the lone dot stuffed so no backend ends early. */
    @Test
    void normalizeDeliversOneMessageWithTheDotStuffed() throws Exception {
        try (LmtpFixture f = LmtpFixture.start(", lmtp-bare-newline = normalize")) {
            RawClient c = probe(f, "hello\n.\n.x\r" + SMUGGLED + ".\r\n", "a@one.test");
            assertEquals("250 2.0.0 <a@one.test> saved by one", c.readLine());
            c.line("QUIT");
            assertEquals("221 2.0.0 Bye", c.readLine());
            assertEquals(1, f.one().rawMessages().size());
            // as sent to the backend, dot-stuffed: it reads "hello", ".", ".x" and the rest as text
            assertEquals("hello\r\n..\r\n..x\r\n" + SMUGGLED, new String(f.one().rawMessages().get(0), StandardCharsets.ISO_8859_1));
            transactions(f.one(), 1);
        }
    }

    /**
     * Command lines end in CRLF too (RFC 5321 §2.3.8; §4.1.1.4: a server "MUST NOT" take
     * LF alone): with reject a bare-LF command is refused and not run; with normalize it runs.
     */
    @Test
    void aBareLfCommandIsRefusedUnlessNormalized() throws Exception {
        try (LmtpFixture f = LmtpFixture.start("")) {
            RawClient c = f.lhlo();
            c.send("MAIL FROM:<ceo@bank.test>\n");
            assertEquals("500 5.5.2 Error: bare <LF> received", c.readLine());
            c.line("RCPT TO:<a@one.test>");
            assertEquals("503 5.5.1 Error: need MAIL command", c.readLine());
        }
        try (LmtpFixture f = LmtpFixture.start(", lmtp-bare-newline = normalize")) {
            RawClient c = f.lhlo();
            c.send("NOOP\n");
            assertEquals("250 2.0.0 Ok", c.readLine());
        }
    }

}
