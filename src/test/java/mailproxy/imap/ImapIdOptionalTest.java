package mailproxy.imap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * send-id is on by default, so it must be harmless where ID (RFC 2971, an extension) is not
 * understood: not sent to a server whose capabilities lack it, and a refused ID does not
 * stop the login.
 */
@Timeout(20)
class ImapIdOptionalTest {

    /** A backend that records the tagged commands, answers them, and logs in bob. */
    private static ScriptedServer backend(String greeting, List<String> seen) throws Exception {
        return new ScriptedServer(peer -> {
            peer.line(greeting);
            for (String l = peer.readLine(); l != null; l = peer.readLine()) {
                String tag = l.substring(0, l.indexOf(' '));
                String verb = l.substring(tag.length() + 1).split(" ")[0];
                seen.add(tag + " " + verb);
                switch (verb) {
                    case "ID" -> peer.line(tag + " BAD Unknown command");
                    case "LOGIN" -> {
                        // user and password as literals, each announced with {n+} (LITERAL+) or {n}
                        String rest = l;
                        for (int i = 0; i < 2; i++) {
                            int n = Integer.parseInt(rest.substring(rest.lastIndexOf('{') + 1, rest.length() - (rest.endsWith("+}") ? 2 : 1)));
                            if (!rest.endsWith("+}")) peer.line("+ go");
                            peer.readBytes(n);
                            rest = peer.readLine();
                        }
                        peer.line(tag + " OK Logged in");
                    }
                    default -> peer.line(tag + " OK done");
                }
            }
        });
    }

    private static void login(TestProxy p) throws Exception {
        try (RawClient c = ImapFixtures.connect(p)) {
            c.exchange("a LOGIN bob secret", "a OK Logged in", "b LOGOUT", "b OK");
        }
    }

    /** A login with send-id = true through a backend that greets with {@code greeting}; the commands it saw, verb only. */
    private static List<String> loginWithSendId(String greeting) throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (ScriptedServer b = backend(greeting, seen);
             TestProxy p = TestProxy.start(ImapFixtures.config("127.0.0.1", b.port(), ", send-id = true", ""))) {
            login(p);
        }
        return seen;
    }

    @Test
    void noIdToAServerWhoseCapabilitiesLackIt() throws Exception {
        List<String> seen = loginWithSendId("* OK [CAPABILITY IMAP4rev1 LITERAL+] ready");
        assertEquals("mp1 LOGIN", seen.get(0), seen.toString());
    }

    @Test
    void aRefusedIdDoesNotStopTheLogin() throws Exception {
        // no capabilities in the greeting: the proxy cannot know, so it tries ID
        List<String> seen = loginWithSendId("* OK ready");
        assertEquals(List.of("mp1 ID", "mp2 LOGIN"), seen.subList(0, 2), seen.toString());
        assertTrue(seen.size() >= 2);
    }
}
