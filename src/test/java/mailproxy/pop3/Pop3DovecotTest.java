package mailproxy.pop3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import mailproxy.testing.NetClients;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealDovecot;
import mailproxy.testing.RealServers;
import mailproxy.testing.TestProxy;
import org.apache.commons.net.pop3.POP3Client;
import org.apache.commons.net.pop3.POP3MessageInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** POP3 through the proxy to a real Dovecot, with real clients (commons-net, curl). */
@Timeout(60)
class Pop3DovecotTest {
    private static RealDovecot dovecot;
    private static TestProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        dovecot = RealServers.dovecot();
        proxy = TestProxy.start("""
                mailproxy {
                  server-name = "proxy.test"
                  backends {
                    dovecot { host = "127.0.0.1", pop3 { port = %d, xclient = true } }
                  }
                  routers { local { type = static, default = dovecot } }
                  listeners = [ { name = pop3, protocol = pop3, listen = "127.0.0.1:0" } ]
                }""".formatted(dovecot.pop3Port()));
    }

    @AfterAll
    static void stop() {
        if (proxy != null) proxy.close();
    }

    @Test
    void commonsNetRetrievesTheSeededMessagesByteExact() throws Exception {
        POP3Client pop3 = NetClients.connect(new POP3Client(), "127.0.0.1", proxy.port("pop3"));
        try {
            assertTrue(pop3.login(RealDovecot.BOB, RealDovecot.BOB_PASSWORD), pop3.getReplyString());
            POP3MessageInfo status = pop3.status();
            assertTrue(status.number >= 2, "bob has the seeded messages");
            for (int n = 1; n <= 2; n++) {
                byte[] got;
                try (Reader r = pop3.retrieveMessage(n)) {
                    got = readLatin1(r);
                }
                assertArrayEquals(RealDovecot.seededMessage(n), got, "message " + n);
            }
            assertTrue(pop3.logout());
        } finally {
            pop3.disconnect();
        }
    }

    @Test
    void curlRetrievesAMessageByteExact() throws Exception {
        Process curl = new ProcessBuilder("curl", "-s", "--max-time", "20",
                "pop3://127.0.0.1:" + proxy.port("pop3") + "/2",
                "-u", RealDovecot.BOB + ":" + RealDovecot.BOB_PASSWORD).start();
        byte[] out = curl.getInputStream().readAllBytes();
        assertTrue(curl.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, curl.exitValue(), new String(curl.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        assertArrayEquals(RealDovecot.seededMessage(2), out);
    }

    @Test
    void passwordWithSpacesQuotesAndUtf8() throws Exception {
        try (RawClient c = RawClient.connect(proxy.port("pop3"))) {
            c.expect("+OK proxy.test POP3 ready");
            c.line("USER " + RealDovecot.ALICE);
            c.expect("+OK");
            c.send("PASS ".getBytes(StandardCharsets.US_ASCII));
            c.send(RealDovecot.ALICE_PASSWORD.getBytes(StandardCharsets.UTF_8));
            c.line("");
            c.expect("+OK"); // Dovecot's own "+OK Logged in."
            c.line("QUIT");
            c.expect("+OK");
        }
    }

    @Test
    void wrongPasswordIsDovecotsAnswerAndTheClientMayRetry() throws Exception {
        try (RawClient c = RawClient.connect(proxy.port("pop3")).timeout(15_000)) {
            c.expect("+OK");
            c.line("USER bob");
            c.expect("+OK");
            c.line("PASS nope");
            assertEquals("-ERR [AUTH] Authentication failed.", c.readLine());
            c.line("USER bob");
            c.expect("+OK");
            c.line("PASS " + RealDovecot.BOB_PASSWORD);
            c.expect("+OK Logged in.");
            c.line("STAT");
            c.expect("+OK ");
            c.line("QUIT");
            c.expect("+OK");
        }
    }

    @Test
    void authPlainAndPipelinedCommandsReachDovecot() throws Exception {
        String plain = java.util.Base64.getEncoder().encodeToString("\0bob\0secret".getBytes(StandardCharsets.US_ASCII));
        try (RawClient c = RawClient.connect(proxy.port("pop3"))) {
            c.expect("+OK");
            c.send("AUTH PLAIN " + plain + "\r\nSTAT\r\nLIST 1\r\nQUIT\r\n");
            c.expect("+OK Logged in.");
            c.expect("+OK ");
            c.expect("+OK 1 ");
            c.expect("+OK");
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void xclientMakesDovecotLogTheRealClientAddress() throws Exception {
        long mark = dovecot.logMark();
        try (RawClient c = RawClient.connectFrom("127.0.0.3", proxy.port("pop3"))) {
            c.transcript("""
                    S: +OK...
                    C: USER carol
                    S: +OK...
                    C: PASS %s
                    S: +OK Logged in....
                    C: QUIT
                    S: +OK...
                    """.formatted(RealDovecot.CAROL_PASSWORD));
        }
        String line = dovecot.awaitLog(mark, "user=<carol>", Duration.ofSeconds(10));
        assertTrue(line.contains("rip=127.0.0.3"), line);
        assertFalse(line.contains("rip=127.0.0.1,"), line);
    }

    private static byte[] readLatin1(Reader r) throws java.io.IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int c;
        while ((c = r.read()) >= 0) out.write(c);
        return out.toByteArray();
    }
}
