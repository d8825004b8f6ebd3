package mailproxy.pop3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.nio.charset.StandardCharsets;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** C:/S: transcripts of the POP3 pre-auth dialogue against a scripted backend (RFC 1939, 2449, 5034). */
@Timeout(30)
class Pop3TranscriptTest {
    private final List<String> backendSaw = new CopyOnWriteArrayList<>();
    private TestProxy proxy;
    private ScriptedServer backend;

    /** A backend that accepts user bob with password "secret" and then echoes commands. */
    private ScriptedServer dovecotLike() throws Exception {
        return new ScriptedServer(peer -> {
            peer.line("+OK Dovecot ready.");
            String user = null;
            while (true) {
                String l = peer.readLine();
                if (l == null) return;
                backendSaw.add(l);
                if (l.startsWith("XCLIENT ")) peer.line("+OK");
                else if (l.startsWith("USER ")) {
                    user = l.substring(5);
                    peer.line("+OK");
                } else if (l.startsWith("PASS ")) {
                    if ("bob".equals(user) && l.equals("PASS secret")) peer.line("+OK Logged in.");
                    else peer.line("-ERR [AUTH] Authentication failed.");
                } else if (l.equals("QUIT")) {
                    peer.line("+OK Logging out.");
                    return;
                } else if (l.equals("CLOSE-NOW")) {
                    return;
                } else peer.line("+OK echo " + l);
            }
        });
    }

    private TestProxy proxy(int backendPort, String extra) throws Exception {
        return TestProxy.start("""
                mailproxy {
                  server-name = "proxy.test"
                  limits { timeout = 2s, max-errors = 3, line-length = 200 }
                  backends { b { host = "127.0.0.1", pop3 { port = %d %s } } }
                  routers { r { type = static, default = b } }
                  listeners = [ { name = pop3, protocol = pop3, listen = "127.0.0.1:0" } ]
                }
                """.formatted(backendPort, extra));
    }

    private RawClient client() throws Exception {
        RawClient c = RawClient.connect(proxy.port("pop3"));
        c.expect("+OK proxy.test POP3 ready");
        return c;
    }

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) proxy.close();
        if (backend != null) backend.close();
    }

    @Test
    void capaListsUserAndSaslThenQuit() throws Exception {
        backend = dovecotLike();
        proxy = proxy(backend.port(), "");
        try (RawClient c = client()) {
            c.line("CAPA");
            c.expect("+OK");
            StringBuilder caps = new StringBuilder();
            for (String l = c.readLine(); !l.equals("."); l = c.readLine()) caps.append(l).append('\n');
            assertTrue(caps.toString().contains("USER\n"), caps.toString());
            assertTrue(caps.toString().contains("SASL PLAIN LOGIN\n"), caps.toString());
            c.line("noop");
            c.expect("+OK");
            c.line("AUTH");
            c.expect("+OK");
            assertEquals("PLAIN", c.readLine());
            assertEquals("LOGIN", c.readLine());
            assertEquals(".", c.readLine());
            c.line("QUIT");
            c.expect("+OK");
            assertTrue(c.closedByPeer());
        }
        assertEquals(0, backend.accepted(), "no backend connection before credentials");
    }

    @Test
    void userPassLogsInAndRelays() throws Exception {
        backend = dovecotLike();
        proxy = proxy(backend.port(), "");
        try (RawClient c = client()) {
            c.line("USER bob");
            c.expect("+OK");
            c.line("PASS secret");
            assertEquals("+OK Logged in.", c.readLine(), "the backend's own reply reaches the client");
            c.line("STAT");
            assertEquals("+OK echo STAT", c.readLine());
            c.line("QUIT");
            c.expect("+OK Logging out.");
            assertTrue(c.closedByPeer());
        }
        assertEquals(List.of("USER bob", "PASS secret", "STAT", "QUIT"), backendSaw);
    }

    @Test
    void commandsPipelinedBehindPassReachTheBackend() throws Exception {
        backend = dovecotLike();
        proxy = proxy(backend.port(), "");
        try (RawClient c = client()) {
            c.send("USER bob\r\nPASS secret\r\nSTAT\r\nLIST\r\nQUIT\r\n");
            c.expect("+OK"); // USER
            assertEquals("+OK Logged in.", c.readLine());
            assertEquals("+OK echo STAT", c.readLine());
            assertEquals("+OK echo LIST", c.readLine());
            c.expect("+OK Logging out.");
        }
    }

    @Test
    void wrongPasswordGetsBackendReplyAndMayRetry() throws Exception {
        backend = dovecotLike();
        proxy = proxy(backend.port(), "");
        try (RawClient c = client()) {
            c.line("USER bob");
            c.expect("+OK");
            c.line("PASS wrong");
            assertEquals("-ERR [AUTH] Authentication failed.", c.readLine());
            c.line("USER bob");
            c.expect("+OK");
            c.line("PASS secret");
            assertEquals("+OK Logged in.", c.readLine());
        }
    }

    @Test
    void authPlainWithAndWithoutInitialResponse() throws Exception {
        backend = dovecotLike();
        proxy = proxy(backend.port(), "");
        String plain = b64("\0bob\0secret");
        try (RawClient c = client()) {
            c.line("AUTH PLAIN " + plain);
            assertEquals("+OK Logged in.", c.readLine());
        }
        try (RawClient c = client()) {
            c.line("AUTH PLAIN");
            assertEquals("+ ", c.readLine());
            c.line(plain);
            assertEquals("+OK Logged in.", c.readLine());
        }
    }

    @Test
    void authLoginWithAndWithoutInitialResponse() throws Exception {
        backend = dovecotLike();
        proxy = proxy(backend.port(), "");
        try (RawClient c = client()) {
            c.line("AUTH LOGIN");
            assertEquals("+ VXNlcm5hbWU6", c.readLine());
            c.line(b64("bob"));
            assertEquals("+ UGFzc3dvcmQ6", c.readLine());
            c.line(b64("secret"));
            assertEquals("+OK Logged in.", c.readLine());
        }
        try (RawClient c = client()) {
            c.line("AUTH LOGIN " + b64("bob"));
            assertEquals("+ UGFzc3dvcmQ6", c.readLine());
            c.line(b64("secret"));
            assertEquals("+OK Logged in.", c.readLine());
        }
    }

    @Test
    void authCancelAndGarbageAreErrors() throws Exception {
        backend = dovecotLike();
        proxy = proxy(backend.port(), "");
        try (RawClient c = client()) {
            c.line("AUTH PLAIN");
            c.expect("+ ");
            c.line("*");
            c.expect("-ERR");
            c.line("AUTH PLAIN !!!notbase64");
            c.expect("-ERR");
            c.line("AUTH GSSAPI");
            c.expect("-ERR");
            assertTrue(c.closedByPeer(), "third error reaches max-errors = 3");
        }
        assertEquals(0, backend.accepted());
    }

    @Test
    void crlfSmuggledInsideAuthPlainNeverReachesTheBackend() throws Exception {
        backend = dovecotLike();
        proxy = proxy(backend.port(), "");
        try (RawClient c = client()) {
            c.line("AUTH PLAIN " + b64("\0bob\0secret\r\nDELE 1"));
            c.expect("-ERR");
        }
        assertTrue(backendSaw.stream().noneMatch(l -> l.startsWith("DELE")), backendSaw.toString());
    }

    @Test
    void unknownCommandsAndMaxErrors() throws Exception {
        backend = dovecotLike();
        proxy = proxy(backend.port(), "");
        try (RawClient c = client()) {
            c.line("STAT");
            c.expect("-ERR");
            c.line("PASS early");
            c.expect("-ERR");
            c.send("US\0ER bob\r\n");
            c.expect("-ERR");
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void overlongLineGetsErrorAndClose() throws Exception {
        backend = dovecotLike();
        proxy = proxy(backend.port(), "");
        try (RawClient c = client()) {
            c.line("USER " + "x".repeat(500));
            c.expect("-ERR");
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void silentClientIsDisconnectedAfterTheTimeout() throws Exception {
        backend = dovecotLike();
        proxy = proxy(backend.port(), "");
        try (RawClient c = client()) {
            c.timeout(10_000);
            c.expect("-ERR Disconnected for inactivity");
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void backendDownIsATemporaryFailure() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        proxy = proxy(dead, "");
        try (RawClient c = client()) {
            c.line("USER bob");
            c.expect("+OK");
            c.line("PASS secret");
            c.expect("-ERR [SYS/TEMP]");
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void backendClosingMidRelayClosesTheClient() throws Exception {
        backend = dovecotLike();
        proxy = proxy(backend.port(), "");
        try (RawClient c = client()) {
            c.line("USER bob");
            c.expect("+OK");
            c.line("PASS secret");
            c.expect("+OK Logged in.");
            c.line("CLOSE-NOW");
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void xclientForwardsTheClientAddressBeforeLogin() throws Exception {
        backend = dovecotLike();
        proxy = proxy(backend.port(), ", xclient = true");
        try (RawClient c = client()) {
            c.line("USER bob");
            c.expect("+OK");
            c.line("PASS secret");
            c.expect("+OK Logged in.");
            int port = c.socket().getLocalPort();
            c.line("QUIT");
            c.expect("+OK");
            assertEquals("XCLIENT ADDR=127.0.0.1 PORT=" + port, backendSaw.get(0));
        }
    }

    @Test
    void authPlainToTheBackendWhenConfigured() throws Exception {
        backend = new ScriptedServer(peer -> {
            peer.line("+OK ready");
            String l = peer.readLine();
            backendSaw.add(l);
            peer.line(l.equals("AUTH PLAIN " + b64("\0bob\0secret")) ? "+OK Logged in." : "-ERR no");
            peer.readLine();
        });
        proxy = proxy(backend.port(), ", login = auth-plain");
        try (RawClient c = client()) {
            c.line("USER bob");
            c.expect("+OK");
            c.line("PASS secret");
            assertEquals("+OK Logged in.", c.readLine());
        }
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.ISO_8859_1));
    }
}
