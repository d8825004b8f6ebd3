package mailproxy.imap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealDovecot;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The client's own ID fields (RFC 2971) reach the backend after login, in the proxy's ID
 * behind its x-originating-* fields (send-id): never the client's x-* fields, printable
 * ASCII only, within RFC 2971 §3.3's bounds, escaped as quoted strings.
 */
@Timeout(60)
class ImapIdForwardingTest {
    /** Logs in through a recording backend after sending {@code idCommand}; the ID line the backend got. */
    private static String backendId(String idCommand) throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (ScriptedServer backend = new ScriptedServer(peer -> {
                    peer.line("* OK [CAPABILITY IMAP4rev1 ID LITERAL+] fake");
                    String id = peer.readLine();
                    lines.add(id);
                    peer.line("* ID NIL\r\n" + id.split(" ")[0] + " OK ID done");
                    String login = peer.readLine();
                    peer.readLine(); // the LITERAL+ login continues on a second line
                    peer.line(login.split(" ")[0] + " OK Logged in");
                    peer.readLine();
                });
             TestProxy p = ImapFixtures.proxy(backend.port(), ", send-id = true", "");
             RawClient c = ImapFixtures.connect(p)) {
            c.send(idCommand);
            c.expect("* ID ");
            c.expect("a OK");
            c.line("b LOGIN bob secret");
            c.expect("b OK");
            String id = lines.get(0);
            assertTrue(id.startsWith("mp1 ID (\"x-originating-ip\" \"127.0.0.1\" \"x-originating-port\" "), id);
            // after the proxy's five pairs (x-session-id last)
            int session = id.indexOf("\"x-session-id\" \"");
            return id.substring(id.indexOf('"', session + 16) + 1);
        }
    }

    @Test
    void theBackendGetsTheClientsFieldsFilteredAfterTheProxysOwn() throws Exception {
        String rest = backendId("a ID (\"name\" \"Thunder\\\"bird\\\\\" \"version\" \"115.0\" \"X-Originating-IP\" \"6.6.6.6\""
                + " \"x-session-id\" \"spoof\" \"os\" NIL \"name\" \"second\" \"" + "l".repeat(31) + "\" \"long field\""
                + " \"vendor\" {4+}\r\nA\r\nB \"date\" \"caf\u00e9\" \"support-url\" \"" + "u".repeat(1025) + "\")\r\n");
        // x-* fields, a second "name", a field over 30 octets, a value with CR LF or 8-bit bytes,
        // a value over 1024 octets: dropped; quotes and backslashes escaped
        assertEquals(" \"name\" \"Thunder\\\"bird\\\\\" \"version\" \"115.0\" \"os\" NIL)", rest);
    }

    @Test
    void atMostThirtyPairsInAll() throws Exception {
        StringBuilder many = new StringBuilder("a ID (");
        for (int i = 0; i < 30; i++) many.append(i == 0 ? "" : " ").append("\"f").append(i).append("\" \"v\"");
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 25; i++) expected.append(" \"f").append(i).append("\" \"v\"");
        assertEquals(expected + ")", backendId(many + ")\r\n"));
    }

    @Test
    void dovecotLogsTheClientsFields() throws Exception {
        RealDovecot dovecot = RealDovecot.startExtra("imap_id_log = *\n");
        try (TestProxy p = ImapFixtures.proxy(dovecot.imapPort(), ", send-id = true", "");
             RawClient c = ImapFixtures.connect(p)) {
            long mark = dovecot.logMark();
            c.line("a ID (\"name\" \"Thunderbird\" \"version\" \"115.3.1\" \"os\" \"Linux\" \"x-originating-ip\" \"203.0.113.66\")");
            c.expect("* ID ");
            c.expect("a OK");
            c.line("b LOGIN bob secret");
            String l = c.readLine();
            while (l.startsWith("* ")) l = c.readLine();
            assertTrue(l.startsWith("b OK"), l);
            String logged = dovecot.awaitLog(mark, "ID sent:", Duration.ofSeconds(10));
            assertTrue(logged.contains("name=Thunderbird") && logged.contains("version=115.3.1") && logged.contains("os=Linux"), logged);
            assertTrue(logged.contains("x-originating-ip=127.0.0.1") && !logged.contains("203.0.113.66"), logged);
            dovecot.awaitLog(mark, "Login: user=<bob>, method=PLAIN, rip=127.0.0.1", Duration.ofSeconds(10));
        } finally {
            dovecot.close();
        }
    }
}
