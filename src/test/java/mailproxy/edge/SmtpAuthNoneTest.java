package mailproxy.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * nginx's {@code smtp_auth none} beside {@code plain login} on a submission listener:
 * AUTH stays offered, and MAIL without AUTH is taken and routed by its first RCPT as in
 * mx mode; a recipient nobody serves is refused and the connection stays. And nginx's
 * {@code smtp_capabilities}: extra EHLO lines the backend supports.
 */
@Timeout(30)
class SmtpAuthNoneTest {

    /** A minimal SMTP backend that records what it is told and accepts everything. */
    private static ScriptedServer backend(List<String> seen) throws Exception {
        return new ScriptedServer(peer -> {
            peer.line("220 backend.example ESMTP");
            for (String l = peer.readLine(); l != null; l = peer.readLine()) {
                seen.add(l);
                if (l.startsWith("EHLO")) peer.line("250-backend.example\r\n250 PIPELINING");
                else if (l.equals("QUIT")) {
                    peer.line("221 bye");
                    return;
                } else peer.line("250 2.0.0 ok");
            }
        });
    }

    private static List<String> ehlo(RawClient c) throws Exception {
        c.line("EHLO client.example");
        List<String> lines = new ArrayList<>();
        String l;
        do {
            l = c.readLine();
            lines.add(l.substring(4));
        } while (l.startsWith("250-"));
        return lines;
    }

    @Test
    void mailWithoutAuthIsRoutedByItsRecipientAndABadRecipientKeepsTheConnection() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (ScriptedServer b = backend(seen); TestProxy p = TestProxy.start("""
                mailproxy {
                  backends { mx { host = "127.0.0.1", smtp { port = %d, auth = plain } } }
                  routers { r { type = static, domains { "example.test" = mx } } }
                  listeners = [ { name = sub, protocol = smtp, listen = "127.0.0.1:0", auth = [plain, login, none],
                                  smtp-capabilities = ["DSN", "SMTPUTF8"] } ]
                }""".formatted(b.port()));
             RawClient c = RawClient.connect(p.port("sub"))) {
            c.expect("220 ");
            List<String> caps = ehlo(c);
            assertTrue(caps.contains("AUTH PLAIN LOGIN"), "AUTH stays offered, never NONE: " + caps);
            assertTrue(caps.contains("DSN") && caps.contains("SMTPUTF8"), "smtp-capabilities: " + caps);
            c.line("MAIL FROM:<sender@remote.example>");
            c.expect("250 ");
            c.line("RCPT TO:<someone@elsewhere.example>");
            c.expect("554 5.7.1 Relay access denied");
            c.line("RCPT TO:<bob@example.test>");
            c.expect("250 ");
            // from here on the backend answers: the envelope was replayed there
            c.line("QUIT");
            c.expect("221");
            assertEquals(List.of("EHLO localhost", "MAIL FROM:<sender@remote.example>", "RCPT TO:<bob@example.test>"),
                    seen.subList(0, 3).stream().map(l -> l.startsWith("EHLO") ? "EHLO localhost" : l).toList(), seen.toString());
            assertFalse(seen.stream().anyMatch(l -> l.startsWith("AUTH")), "no credentials, no AUTH: " + seen);
        }
    }

    @Test
    void withoutNoneMailBeforeAuthStillNeedsAuth() throws Exception {
        try (TestProxy p = TestProxy.start("""
                mailproxy {
                  backends { mx { host = "127.0.0.1", smtp { port = 9, auth = plain } } }
                  routers { r { type = static, default = mx } }
                  listeners = [ { name = sub, protocol = smtp, listen = "127.0.0.1:0" } ]
                }""");
             RawClient c = RawClient.connect(p.port("sub"))) {
            c.expect("220 ");
            ehlo(c);
            c.line("MAIL FROM:<sender@remote.example>");
            c.expect("530 5.7.0 Authentication required");
        }
    }
}
