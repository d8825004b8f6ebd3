package mailproxy.lmtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import mailproxy.testing.ImapFetch;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealDovecot;
import mailproxy.testing.RealPostfix;
import mailproxy.testing.RealServers;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Delivery through the proxy end to end: a real Postfix hands mail to the proxy's LMTP
 * listener ({@code virtual_transport = lmtp:inet:127.0.0.1:PROXYPORT}); the proxy routes
 * each recipient to one of two real Dovecot LMTP servers; each message is read back
 * through the proxy's IMAP listener, once, from the right store.
 */
@Timeout(120)
class LmtpRealServersTest {
    static final String PASSWORD = "lmtp-secret";
    static RealDovecot one;
    static RealDovecot two;
    static TestProxy proxy;
    static RealPostfix postfix;

    @BeforeAll
    static void start() throws Exception {
        one = RealServers.dovecot();
        two = RealDovecot.startExtra("");
        // users of this test's own, so the shared Dovecot's mailboxes are not disturbed
        one.addUser("lmtp-one", PASSWORD);
        one.addUser("lmtp-three", PASSWORD);
        two.addUser("lmtp-two", PASSWORD);
        proxy = TestProxy.start("""
                mailproxy {
                  server-name = "proxy.test"
                  backends {
                    one { host = "127.0.0.1", imap { port = %d }, lmtp { port = %d } }
                    two { host = "127.0.0.1", imap { port = %d }, lmtp { port = %d } }
                  }
                  routers { r { type = static, default = one, users { "lmtp-two@example.test" = two, "lmtp-two" = two } } }
                  listeners = [
                    { name = lmtp, protocol = lmtp, listen = "127.0.0.1:0" }
                    { name = imap, protocol = imap, listen = "127.0.0.1:0" }
                  ]
                }
                """.formatted(one.imapPort(), one.lmtpPort(), two.imapPort(), two.lmtpPort()));
        postfix = RealPostfix.startExtra(one, proxy.port("lmtp"), "");
    }

    @AfterAll
    static void stop() {
        if (postfix != null) postfix.close();
        if (proxy != null) proxy.close();
        if (two != null) two.close();
    }

    @Test
    void oneMessageToRecipientsOnBothStoresArrivesOnceInEach() throws Exception {
        String marker = "lmtp-" + System.nanoTime();
        String body = "Subject: " + marker + "\r\nFrom: sender@example.org\r\n\r\nto three recipients on two stores\r\n"
                + ".a line with a leading dot\r\n";
        long mark = postfix.logMark();
        try (LogCapture log = new LogCapture(); RawClient c = RawClient.connect(postfix.smtpPort())) {
            c.timeout(10_000);
            c.expect("220 ");
            c.line("EHLO client.example");
            for (String l = c.readLine(); !l.startsWith("250 "); l = c.readLine()) assertTrue(l.startsWith("250-"));
            c.line("MAIL FROM:<sender@example.org>");
            c.expect("250 ");
            for (String r : List.of("lmtp-one", "lmtp-two", "lmtp-three")) {
                c.line("RCPT TO:<" + r + "@example.test>");
                c.expect("250 ");
            }
            c.line("DATA");
            c.expect("354 ");
            c.send(body.replace("\r\n.a", "\r\n..a") + ".\r\n");
            c.expect("250 ");
            c.line("QUIT");
            // one LMTP transaction from Postfix, split over the two stores
            log.awaitLine(Duration.ofSeconds(30), "delivered 3 recipient(s) over 2 backend(s)");
        }
        // Postfix delivered each recipient through the proxy
        for (String r : List.of("lmtp-one", "lmtp-two", "lmtp-three")) {
            String line = postfix.awaitLog(mark, "to=<" + r + "@example.test>", Duration.ofSeconds(30));
            assertTrue(line.contains("status=sent"), line);
            assertTrue(line.contains("relay=127.0.0.1[127.0.0.1]:" + proxy.port("lmtp")), line);
        }
        assertDelivered("lmtp-one", marker, body);
        assertDelivered("lmtp-two", marker, body);
        assertDelivered("lmtp-three", marker, body);
        // and each store holds only its own users' copy: store two has no lmtp-one, store one no lmtp-two
        assertTrue(two.log().contains("lmtp-two") && !two.log().contains("lmtp-one@"), two.log());
        assertTrue(!one.log().contains("lmtp-two@"), "lmtp-two was delivered to store one");
    }

    @Test
    void aSecondMessageToOneStoreStreamsThrough() throws Exception {
        String marker = "lmtp-single-" + System.nanoTime();
        String body = "Subject: " + marker + "\r\n\r\n" + "x".repeat(900) + "\r\n";
        long mark = postfix.logMark();
        try (RawClient c = RawClient.connect(postfix.smtpPort())) {
            c.timeout(10_000);
            c.expect("220 ");
            c.exchange(
                    "HELO client.example", "250 ",
                    "MAIL FROM:<>", "250 ",
                    "RCPT TO:<lmtp-two@example.test>", "250 ",
                    "DATA", "354 ");
            c.send(body + ".\r\n");
            c.expect("250 ");
            c.line("QUIT");
        }
        assertTrue(postfix.awaitLog(mark, "to=<lmtp-two@example.test>", Duration.ofSeconds(30)).contains("status=sent"));
        assertDelivered("lmtp-two", marker, body);
    }

    /**
     * SMTP smuggling straight at the proxy's LMTP listener, with a real Dovecot behind: the
     * "&lt;LF&gt;.&lt;LF&gt;" does not end the data, so the forged second transaction never
     * reaches Dovecot; the clean message after it does, and only it.
     */
    @Test
    void aSmuggledSecondTransactionNeverReachesDovecot() throws Exception {
        String forged = "lmtp-forged-" + System.nanoTime();
        String clean = "lmtp-clean-" + System.nanoTime();
        try (RawClient c = RawClient.connect(proxy.port("lmtp"))) {
            c.timeout(10_000);
            c.expect("220 ");
            c.line("LHLO mta.example");
            for (String l = c.readLine(); !l.startsWith("250 "); l = c.readLine()) assertTrue(l.startsWith("250-"));
            c.exchange("MAIL FROM:<mta@example.org>", "250 ", "RCPT TO:<lmtp-three@example.test>", "250 ", "DATA", "354 ");
            c.send("Subject: first\r\n\r\nhello\n.\nMAIL FROM:<ceo@bank.test>\r\nRCPT TO:<lmtp-three@example.test>\r\n"
                    + "DATA\r\nSubject: " + forged + "\r\n\r\nwire the money\r\n.\r\n");
            assertEquals("550 5.5.2 Error: bare <LF> or <CR> received", c.readLine());
            c.exchange("MAIL FROM:<mta@example.org>", "250 ", "RCPT TO:<lmtp-three@example.test>", "250 ", "DATA", "354 ");
            c.send("Subject: " + clean + "\r\n\r\nclean\r\n.\r\n");
            c.expect("250 ");
            c.line("QUIT");
            c.expect("221 ");
        }
        // delivered in order on one connection: once the clean one is in, a forged one would be too
        assertDelivered("lmtp-three", clean, "Subject: " + clean + "\r\n\r\nclean\r\n");
        assertEquals(0, ImapFetch.containing(proxy.port("imap"), "lmtp-three", PASSWORD, forged, Duration.ZERO).size());
        assertEquals(0, ImapFetch.containing(proxy.port("imap"), "lmtp-three", PASSWORD, "wire the money", Duration.ZERO).size());
    }

    /** Exactly one copy, read through the proxy's IMAP, ending in the message as sent (Postfix and Dovecot add headers in front). */
    private static void assertDelivered(String user, String marker, String body) throws Exception {
        List<byte[]> found = ImapFetch.containing(proxy.port("imap"), user, PASSWORD, marker, Duration.ofSeconds(20));
        assertEquals(1, found.size(), user + " has the message once");
        String m = new String(found.get(0), StandardCharsets.ISO_8859_1);
        String bodyPart = body.substring(body.indexOf("\r\n\r\n"));
        assertTrue(m.endsWith(bodyPart), "message of " + user + " ends as sent:\n" + m);
        assertTrue(m.contains("Subject: " + marker + "\r\n"), m);
    }
}
