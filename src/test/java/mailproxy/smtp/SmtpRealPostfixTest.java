package mailproxy.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Writer;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import mailproxy.testing.Pop3Fetch;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealDovecot;
import mailproxy.testing.RealPostfix;
import mailproxy.testing.RealServers;
import mailproxy.testing.Sasl;
import mailproxy.testing.TestProxy;
import org.apache.commons.net.smtp.AuthenticatingSMTPClient;
import org.apache.commons.net.smtp.SMTPReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * End to end against real Postfix (SASL and delivery by real Dovecot): a message goes in
 * through the proxy's SMTP listener and comes back, byte for byte, through its POP3
 * listener; Postfix's log proves the client address arrived by XCLIENT. Each client comes
 * from its own loopback address, so its log line is its own.
 */
@Timeout(120)
class SmtpRealPostfixTest {
    /** A mailbox of our own, so other tests' message counts stay as they are. */
    static final String INBOX = "smtp-inbox";
    static final String INBOX_PASSWORD = "inbox-pass";
    static final String INBOX_ADDRESS = INBOX + "@" + RealDovecot.DOMAIN;

    private static RealDovecot dovecot;
    private static RealPostfix postfix;
    private static TestProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        dovecot = RealServers.dovecot();
        postfix = RealServers.postfix();
        dovecot.addUser(INBOX, INBOX_PASSWORD);
        int smtp = postfix.smtpPort();
        proxy = TestProxy.start("""
                mailproxy {
                  server-name = "proxy.test"
                  backends {
                    # XCLIENT for the address, then AUTH PLAIN for the user (Postfix asks Dovecot)
                    pf-plain { host = "127.0.0.1", smtp { port = %d, auth = plain, xclient = true } }
                    # AUTH LOGIN, no XCLIENT (Exchange style)
                    pf-login { host = "127.0.0.1", smtp { port = %d, auth = login, xclient = false } }
                    # XCLIENT LOGIN= only: Postfix takes the proxy's word for the user
                    pf-xlogin { host = "127.0.0.1", smtp { port = %d, auth = none, xclient = true } }
                    store { host = "127.0.0.1", pop3 { port = %d } }
                  }
                  routers {
                    sub { type = static, default = pf-plain, users { alice = pf-login, carol = pf-xlogin } }
                    mx { type = static, domains { "example.test" = pf-xlogin } }
                    pop { type = static, default = store }
                  }
                  listeners = [
                    # carol goes to pf-xlogin: Postfix believes LOGIN=, so say that on purpose
                    { name = submission, protocol = smtp, listen = "127.0.0.1:0", router = sub, smtp-size = 10m,
                      smtp-trust-unchecked-login = true }
                    { name = mx, protocol = smtp, listen = "127.0.0.1:0", router = mx, smtp-mode = mx }
                    { name = pop3, protocol = pop3, listen = "127.0.0.1:0", router = pop }
                  ]
                }
                """.formatted(smtp, smtp, smtp, dovecot.pop3Port()));
    }

    @AfterAll
    static void stop() {
        if (proxy != null) proxy.close();
    }

    /** A whole message with the headers Postfix would otherwise add, 8-bit text and a dot line. */
    static byte[] message(String marker, String subject) {
        return ("From: Bob <bob@example.test>\r\n"
                + "To: <" + INBOX_ADDRESS + ">\r\n"
                + "Subject: " + subject + "\r\n"
                + "Date: Fri, 27 Nov 2026 12:00:00 +0000\r\n"
                + "Message-ID: <" + marker + "@client.example>\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Transfer-Encoding: 8bit\r\n"
                + "\r\n"
                + "Gr\u00fc\u00dfe through the proxy \u2713\r\n"
                + ".a line that starts with a dot\r\n"
                + "..two dots\r\n"
                + "\r\n"
                + "last line " + marker + "\r\n").getBytes(StandardCharsets.UTF_8);
    }

    static String marker() {
        return "smtp-" + UUID.randomUUID();
    }

    @Test
    void commonsNetSubmissionArrivesByteForByte() throws Exception {
        String marker = marker();
        byte[] sent = message(marker, "commons-net");
        long mark = postfix.logMark();
        AuthenticatingSMTPClient smtp = new AuthenticatingSMTPClient();
        smtp.setDefaultTimeout(10_000);
        smtp.connect(InetAddress.getByName("127.0.0.1"), proxy.port("submission"), InetAddress.getByName("127.0.0.2"), 0);
        try {
            assertEquals("220 proxy.test ESMTP ready", smtp.getReplyString().trim());
            assertTrue(SMTPReply.isPositiveCompletion(smtp.ehlo("client.example")));
            assertTrue(smtp.getReplyString().contains("AUTH PLAIN LOGIN"), smtp.getReplyString());
            assertTrue(smtp.auth(AuthenticatingSMTPClient.AUTH_METHOD.PLAIN, RealDovecot.BOB, RealDovecot.BOB_PASSWORD));
            assertEquals("235 2.7.0 Authentication successful", smtp.getReplyString().trim());
            assertTrue(smtp.setSender("bob@example.test"), smtp.getReplyString());
            assertTrue(smtp.addRecipient(INBOX_ADDRESS), smtp.getReplyString());
            Writer w = smtp.sendMessageData();
            // the client's charset is ISO-8859-1: one char per byte, so the UTF-8 bytes pass as they are
            w.write(new String(sent, StandardCharsets.ISO_8859_1));
            w.close();
            assertTrue(smtp.completePendingCommand(), smtp.getReplyString());
            assertTrue(smtp.getReplyString().startsWith("250 2.0.0 Ok: queued as"), smtp.getReplyString());
            smtp.logout();
        } finally {
            smtp.disconnect();
        }
        // Postfix's Received: line names the HELO and address that came by XCLIENT
        String stored = assertArrivedIntact(marker, sent);
        assertTrue(stored.contains("from client.example (unknown [127.0.0.2])"), stored);
        String line = postfix.awaitLog(mark, "client=unknown[127.0.0.2]", Duration.ofSeconds(10));
        assertTrue(line.contains("sasl_method=PLAIN, sasl_username=bob"), line);
    }

    @Test
    void swaksWithPipeliningArrivesByteForByte() throws Exception {
        String marker = marker();
        byte[] sent = message(marker, "swaks");
        Path data = Files.createTempFile("smtp-swaks", ".eml");
        try {
            // swaks always ends the data with CRLF "." CRLF: give it the message without its last CRLF
            Files.write(data, java.util.Arrays.copyOf(sent, sent.length - 2));
            long mark = postfix.logMark();
            String out = swaks("--server", "127.0.0.1", "--port", Integer.toString(proxy.port("submission")),
                    "--local-interface", "127.0.0.3", "--ehlo", "swaks.example", "--pipeline",
                    "--auth", "PLAIN", "--auth-user", RealDovecot.BOB, "--auth-password", RealDovecot.BOB_PASSWORD,
                    "--from", "bob@example.test", "--to", INBOX_ADDRESS, "--data", "@" + data);
            assertTrue(out.contains("<-  235 2.7.0 Authentication successful"), out);
            assertTrue(out.contains("250 2.0.0 Ok: queued as"), out);
            String stored = assertArrivedIntact(marker, sent);
            assertTrue(stored.contains("from swaks.example (unknown [127.0.0.3])"), stored);
            String line = postfix.awaitLog(mark, "client=unknown[127.0.0.3]", Duration.ofSeconds(10));
            assertTrue(line.contains("sasl_username=bob"), line);
        } finally {
            Files.deleteIfExists(data);
        }
    }

    /** AUTH LOGIN on both sides, with alice's password of spaces, quote, backslash and UTF-8. */
    @Test
    void authLoginBothWaysWithAnAwkwardPassword() throws Exception {
        long mark = postfix.logMark();
        try (RawClient c = RawClient.connect(proxy.port("submission"))) {
            c.timeout(10_000);
            assertEquals("220 proxy.test ESMTP ready", c.readLine());
            SmtpBackendTest.ehlo(c, "client.example");
            c.transcript(Sasl.smtpAuthLogin(b64(RealDovecot.ALICE), b64(RealDovecot.ALICE_PASSWORD)) + """
                    C: MAIL FROM:<alice@example.test>
                    S: 250 2.1.0 Ok
                    C: RCPT TO:<%s>
                    S: 250 2.1.5 Ok
                    C: DATA
                    S: 354 ...
                    C: Subject: auth login
                    C:
                    C: hi
                    C: .
                    S: 250 2.0.0 Ok: queued as...
                    C: QUIT
                    S: 221 2.0.0 Bye
                    """.formatted(INBOX_ADDRESS));
        }
        // no XCLIENT on this backend: Postfix sees the proxy's address, and alice by AUTH LOGIN
        postfix.awaitLog(mark, "client=localhost[127.0.0.1], sasl_method=LOGIN, sasl_username=alice", Duration.ofSeconds(10));
    }

    /** A wrong password: Postfix's own 535 reaches the client, who may try again on the same connection. */
    @Test
    void wrongPasswordGetsPostfixsAnswerAndMayRetry() throws Exception {
        try (RawClient c = RawClient.connect(proxy.port("submission"))) {
            c.timeout(10_000);
            assertEquals("220 proxy.test ESMTP ready", c.readLine());
            SmtpBackendTest.ehlo(c, "client.example");
            c.transcript("""
                    C: AUTH PLAIN %s
                    S: 535 5.7.8 Error: authentication failed...
                    C: AUTH PLAIN %s
                    S: 235 2.7.0 Authentication successful
                    C: QUIT
                    S: 221 2.0.0 Bye
                    """.formatted(Sasl.plain("bob", "wrong"), Sasl.plain("bob", RealDovecot.BOB_PASSWORD)));
        }
    }

    /** XCLIENT LOGIN=: Postfix counts carol as authenticated without an AUTH of its own. */
    @Test
    void xclientLoginStandsForAuth() throws Exception {
        long mark = postfix.logMark();
        try (RawClient c = SmtpBackendTest.clientFrom("127.0.0.5", proxy.port("submission"))) {
            c.timeout(10_000);
            SmtpBackendTest.ehlo(c, "carol.example");
            c.line("AUTH PLAIN " + Sasl.plain("carol", RealDovecot.CAROL_PASSWORD));
            assertEquals("235 2.7.0 Authentication successful", c.readLine());
            c.send("MAIL FROM:<carol@example.test>\r\nRCPT TO:<" + INBOX_ADDRESS + ">\r\nDATA\r\n");
            c.transcript("""
                    S: 250 2.1.0 Ok
                    S: 250 2.1.5 Ok
                    S: 354 ...
                    """);
            c.send("Subject: xclient login\r\n\r\nhi\r\n.\r\nQUIT\r\n");
            c.transcript("""
                    S: 250 2.0.0 Ok: queued as...
                    S: 221 2.0.0 Bye
                    """);
        }
        assertTrue(postfix.awaitLog(mark, "client=unknown[127.0.0.5]", Duration.ofSeconds(10)).contains("sasl_username=carol"));
    }

    /** MX mode: an unauthenticated sender, routed by the recipient's domain. */
    @Test
    void mxModeDeliversFromAnUnauthenticatedSender() throws Exception {
        String marker = marker();
        byte[] sent = message(marker, "mx mode");
        long mark = postfix.logMark();
        try (RawClient c = SmtpBackendTest.clientFrom("127.0.0.6", proxy.port("mx"))) {
            c.timeout(10_000);
            c.line("EHLO mx.remote.example");
            for (int i = 0; i < 10 && !c.readLine().startsWith("250 "); i++) {
                // the proxy's EHLO reply
            }
            c.line("MAIL FROM:<someone@remote.example> BODY=8BITMIME");
            assertEquals("250 2.1.0 Ok", c.readLine());
            c.line("RCPT TO:<nobody@elsewhere.test>");
            assertEquals("554 5.7.1 Relay access denied", c.readLine());
            c.line("RCPT TO:<" + INBOX_ADDRESS + ">");
            assertEquals("250 2.1.5 Ok", c.readLine()); // Postfix's answer
            c.line("DATA");
            c.expect("354 ");
            c.send(dotStuff(sent));
            c.send(".\r\n");
            c.expect("250 2.0.0 Ok: queued as");
            c.line("QUIT");
            assertEquals("221 2.0.0 Bye", c.readLine());
        }
        String stored = assertArrivedIntact(marker, sent);
        assertTrue(stored.contains("from mx.remote.example (unknown [127.0.0.6])"), stored);
        String line = postfix.awaitLog(mark, "client=unknown[127.0.0.6]", Duration.ofSeconds(10));
        assertTrue(!line.contains("sasl_username"), line);
    }

    /** The stored message is what was sent, under the trace headers Postfix and Dovecot put on top. */
    private static String assertArrivedIntact(String marker, byte[] sent) throws Exception {
        byte[] got = Pop3Fetch.containing(proxy.port("pop3"), INBOX, INBOX_PASSWORD, marker, Duration.ofSeconds(20));
        String all = new String(got, StandardCharsets.ISO_8859_1);
        String body = new String(sent, StandardCharsets.ISO_8859_1);
        assertTrue(all.endsWith(body), "stored message does not end with the sent bytes:\n" + all);
        String trace = all.substring(0, all.length() - body.length());
        for (String l : trace.split("\r\n")) {
            assertTrue(l.matches("(Return-Path|Delivered-To|Received): .*|[ \t].*"), "unexpected added line: " + l);
        }
        return all;
    }

    static String dotStuff(byte[] message) {
        StringBuilder b = new StringBuilder();
        for (String l : new String(message, StandardCharsets.ISO_8859_1).split("\r\n", -1)) {
            b.append(l.startsWith(".") ? "." : "").append(l).append("\r\n");
        }
        return b.substring(0, b.length() - 2); // the message already ended with CRLF
    }

    static String b64(String utf8) {
        return java.util.Base64.getEncoder().encodeToString(utf8.getBytes(StandardCharsets.UTF_8));
    }

    /** Runs swaks, bounded; returns its transcript (it prints every line sent and received). */
    static String swaks(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/swaks", "--timeout", "20"));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("swaks", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("swaks did not finish:\n" + Files.readString(out, StandardCharsets.ISO_8859_1));
            }
            String text = Files.readString(out, StandardCharsets.ISO_8859_1);
            assertEquals(0, p.exitValue(), text);
            return text;
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
