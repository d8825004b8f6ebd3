package mailproxy.imap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mailproxy.testing.NetClients;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealDovecot;
import mailproxy.testing.RealServers;
import mailproxy.testing.TestProxy;
import org.apache.commons.net.imap.IMAPClient;
import org.apache.commons.net.imap.IMAPReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The IMAP proxy in front of a real Dovecot: real clients, real logins, real mail. */
@Timeout(30)
class ImapDovecotTest {
    /** A user of our own: these tests add mail and kick sessions. */
    private static final String USER = "imapproxy";
    private static final String PASSWORD = "imap-proxy-pw";

    private static RealDovecot dovecot;
    private static TestProxy proxy;
    private static TestProxy idProxy;

    @BeforeAll
    static void start() throws Exception {
        dovecot = RealServers.dovecot();
        dovecot.addUser(USER, PASSWORD);
        proxy = ImapFixtures.proxy(dovecot.imapPort(), "", "");
        idProxy = ImapFixtures.proxy(dovecot.imapPort(), ", send-id = true", "");
    }

    @AfterAll
    static void stop() {
        if (proxy != null) proxy.close();
        if (idProxy != null) idProxy.close();
    }

    /** Reads responses until the one tagged {@code tag}; returns all lines, bounded. */
    private static List<String> until(RawClient c, String tag) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String l = c.readLine();
            if (l == null) fail("closed before " + tag + " completed; got " + lines);
            lines.add(l);
            if (l.startsWith(tag + " ")) return lines;
        }
        return fail("no completion for " + tag + " in 200 lines: " + lines);
    }

    private static String last(List<String> lines) {
        return lines.get(lines.size() - 1);
    }

    /**
     * commons-net's IMAPClient with one test hook: its reader is protected, and IDLE needs to
     * read untagged lines between commands. (Up to 3.11 it also refused Dovecot's long
     * tagged login answer with its whole CAPABILITY list; 3.13 reads it.)
     */
    private static final class Client extends IMAPClient {
        String readLine() throws IOException {
            return _reader.readLine();
        }
    }

    @Test
    void commonsNetClientLogsInSelectsFetchesAppendsAndIdles() throws Exception {
        Client c = NetClients.connect(new Client(), "127.0.0.1", proxy.port("imap"));
        try {
            assertTrue(c.login(USER, PASSWORD), c.getReplyString());
            // the backend's answer reaches the client, capabilities included
            assertTrue(c.getReplyString().matches("(?s)\\w+ OK \\[CAPABILITY IMAP4rev1 .*IDLE.*] Logged in\\s*"), c.getReplyString());
            assertTrue(c.select("INBOX"), c.getReplyString());
            assertTrue(c.fetch("1", "BODY[]"), c.getReplyString());
            assertTrue(c.getReplyString().contains("Subject: seeded message 1"), c.getReplyString());
            String appended = "From: proxy@example.test\r\nSubject: appended through the proxy\r\n\r\nhello\r\n";
            assertTrue(c.append("INBOX", null, null, appended), c.getReplyString());
            assertTrue(c.fetch("3", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]"), c.getReplyString());
            assertTrue(c.getReplyString().contains("appended through the proxy"), c.getReplyString());

            assertEquals(IMAPReply.CONT, c.sendCommand("IDLE"));
            dovecot.deliver(USER + "@" + RealDovecot.DOMAIN,
                    "Subject: arrives during IDLE\r\n\r\nhi\r\n".getBytes(StandardCharsets.US_ASCII));
            String line = null;
            for (int i = 0; i < 20 && (line == null || !line.endsWith("EXISTS")); i++) line = c.readLine();
            assertEquals("* 4 EXISTS", line);
            assertEquals(IMAPReply.OK, c.sendData("DONE"));
            assertTrue(c.logout());
        } finally {
            c.disconnect();
        }
    }

    @Test
    void curlFetchesAMessageByteExact() throws Exception {
        for (int uid = 1; uid <= 2; uid++) {
            Process p = new ProcessBuilder("/usr/bin/curl", "-s", "--max-time", "10",
                    "imap://127.0.0.1:" + proxy.port("imap") + "/INBOX;UID=" + uid,
                    "-u", RealDovecot.BOB + ":" + RealDovecot.BOB_PASSWORD)
                    .redirectErrorStream(true).start();
            byte[] out;
            try (InputStream in = p.getInputStream()) {
                out = in.readAllBytes();
            }
            assertTrue(p.waitFor(15, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), new String(out, StandardCharsets.ISO_8859_1));
            assertArrayEquals(RealDovecot.seededMessage(uid), out, "message " + uid);
        }
    }

    @Test
    void passwordWithSpacesQuotesBackslashAndNonAsciiLogsInEveryWay() throws Exception {
        String wire = new String(RealDovecot.ALICE_PASSWORD.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        try (RawClient c = ImapFixtures.connect(proxy)) {
            // synchronizing literals
            c.exchange("a LOGIN {5}", "+ ", "alice {" + wire.length() + "}", "+ ");
            c.send(wire + "\r\n");
            assertTrue(last(until(c, "a")).startsWith("a OK "));
            c.line("b LOGOUT");
            until(c, "b");
        }
        try (RawClient c = ImapFixtures.connect(proxy)) {
            // a quoted string with \" and \\ escapes, 8-bit bytes inside
            c.line("a LOGIN \"alice\" \"" + wire.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
            assertTrue(last(until(c, "a")).startsWith("a OK "));
            c.line("b LOGOUT");
            until(c, "b");
        }
        try (RawClient c = ImapFixtures.connect(proxy)) {
            // non-synchronizing literals (LITERAL+), and AUTHENTICATE PLAIN after a refusal
            c.send("a LOGIN {5+}\r\nalice {" + (wire.length() + 1) + "+}\r\n" + wire + "x\r\n");
            assertEquals("a NO [AUTHENTICATIONFAILED] Authentication failed.", last(until(c, "a")));
            String plain = Base64.getEncoder().encodeToString(("\0alice\0" + wire).getBytes(StandardCharsets.ISO_8859_1));
            c.line("b AUTHENTICATE PLAIN " + plain);
            assertTrue(last(until(c, "b")).startsWith("b OK "));
            c.line("c LOGOUT");
            until(c, "c");
        }
    }

    @Test
    void wrongPasswordGetsDovecotsAnswerAndTheClientRetriesOnTheSameConnection() throws Exception {
        try (RawClient c = ImapFixtures.connect(proxy)) {
            c.line("a1 LOGIN bob wrong");
            assertEquals("a1 NO [AUTHENTICATIONFAILED] Authentication failed.", last(until(c, "a1")));
            c.line("a2 LOGIN bob " + RealDovecot.BOB_PASSWORD);
            String ok = last(until(c, "a2"));
            assertTrue(ok.startsWith("a2 OK [CAPABILITY IMAP4rev1") && ok.endsWith("Logged in"), ok);
            c.line("a3 LOGOUT");
            until(c, "a3");
        }
    }

    @Test
    void pipelinedCommandsAfterLoginReachDovecot() throws Exception {
        try (RawClient c = ImapFixtures.connect(proxy)) {
            c.send("p1 LOGIN bob secret\r\np2 SELECT INBOX\r\np3 UID FETCH 1:* (UID)\r\np4 LOGOUT\r\n");
            assertTrue(last(until(c, "p1")).startsWith("p1 OK "));
            assertTrue(last(until(c, "p2")).startsWith("p2 OK [READ-WRITE]"));
            List<String> fetch = until(c, "p3");
            assertTrue(fetch.contains("* 1 FETCH (UID 1)") && fetch.contains("* 2 FETCH (UID 2)"), fetch.toString());
            List<String> logout = until(c, "p4");
            assertTrue(logout.get(0).startsWith("* BYE"), logout.toString());
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void idBeforeLoginAnsweredByTheProxy() throws Exception {
        try (RawClient c = ImapFixtures.connect(proxy)) {
            c.line("i1 ID (\"name\" \"test\")");
            assertEquals("* ID (\"name\" \"mailproxy\")", c.readLine());
            assertEquals("i1 OK ID completed", c.readLine());
            c.line("i2 LOGIN bob secret");
            assertTrue(last(until(c, "i2")).startsWith("i2 OK "));
            // after login ID goes to Dovecot itself
            c.line("i3 ID NIL");
            List<String> id = until(c, "i3");
            assertTrue(id.get(0).startsWith("* ID (\"name\" \"Dovecot\""), id.toString());
        }
    }

    /** A client connecting from 127.0.0.2, so that its address differs from the proxy's 127.0.0.1. */
    private static RawClient connectFrom127002(TestProxy p) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress("127.0.0.2", 0));
        s.connect(new InetSocketAddress("127.0.0.1", p.port("imap")), 5000);
        RawClient c = new RawClient(s);
        c.expect("* OK ");
        return c;
    }

    @Test
    void sendIdMakesDovecotLogTheRealClientAddress() throws Exception {
        long mark = dovecot.logMark();
        try (RawClient c = connectFrom127002(idProxy)) {
            c.line("a LOGIN carol " + RealDovecot.CAROL_PASSWORD);
            assertTrue(last(until(c, "a")).startsWith("a OK "));
        }
        String login = dovecot.awaitLog(mark, "Login: user=<carol>", Duration.ofSeconds(10));
        assertTrue(login.contains("rip=127.0.0.2,"), login);
        // x-session-id replaces Dovecot's own session id: the proxy's id joins the two logs
        assertTrue(login.matches(".*session=<[0-9a-z]+-[0-9a-z]+>.*"), login);

        // without send-id Dovecot sees only the proxy
        mark = dovecot.logMark();
        try (RawClient c = connectFrom127002(proxy)) {
            c.line("a LOGIN carol " + RealDovecot.CAROL_PASSWORD);
            assertTrue(last(until(c, "a")).startsWith("a OK "));
        }
        login = dovecot.awaitLog(mark, "Login: user=<carol>", Duration.ofSeconds(10));
        assertTrue(login.contains("rip=127.0.0.1,"), login);
    }

    @Test
    void dovecotKillingTheSessionClosesTheClientPromptly() throws Exception {
        try (RawClient c = ImapFixtures.connect(proxy)) {
            c.line("k1 LOGIN " + USER + " " + PASSWORD);
            assertTrue(last(until(c, "k1")).startsWith("k1 OK "));
            c.line("k2 SELECT INBOX");
            until(c, "k2");
            Process kick = new ProcessBuilder("/usr/bin/doveadm", "-c", dovecot.dir().resolve("dovecot.conf").toString(),
                    "kick", USER).redirectErrorStream(true).start();
            String out = new String(kick.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(kick.waitFor(10, TimeUnit.SECONDS));
            assertEquals(0, kick.exitValue(), out);
            c.timeout(5000);
            String line = "";
            for (int i = 0; i < 10 && line != null; i++) line = c.readLine(); // perhaps a * BYE first
            assertEquals(null, line, "the proxy closed the client after the backend went away");
        }
    }
}
