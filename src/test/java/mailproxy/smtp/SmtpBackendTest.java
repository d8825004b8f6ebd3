package mailproxy.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The backend half (docs/ARCHITECTURE.md, "SMTP") against a recording fake: what the proxy says to the
 * backend for each backend setting, what reaches the client, and how failures end.
 */
@Timeout(30)
class SmtpBackendTest {
    /** AUTH PLAIN initial response for bob / secret. */
    static final String BOB_SECRET = "AGJvYgBzZWNyZXQ=";
    static final String BOB_WRONG = "AGJvYgB3cm9uZw==";

    static String config(int backendPort, String smtpOptions, String router) {
        return """
                mailproxy {
                  server-name = "proxy.test"
                  limits { backend-timeout = 5s }
                  backends { b1 { host = "127.0.0.1", smtp { port = %d, %s } } }
                  routers { r { type = static, %s } }
                  listeners = [
                    # the fake backend takes any password: the XCLIENT LOGIN= tests need auth = none
                    { name = sub, protocol = smtp, smtp-trust-unchecked-login = true, listen = "127.0.0.1:0" }
                    { name = mx, protocol = smtp, listen = "127.0.0.1:0", smtp-mode = mx }
                  ]
                }
                """.formatted(backendPort, smtpOptions, router);
    }

    /** A client from another loopback address, so the forwarded ADDR is not the proxy's own. */
    static RawClient clientFrom(String localAddress, int port) throws Exception {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        RawClient c = new RawClient(s);
        assertEquals("220 proxy.test ESMTP ready", c.readLine());
        return c;
    }

    static void ehlo(RawClient c, String name) throws Exception {
        c.line("EHLO " + name);
        for (int i = 0; i < 20; i++) {
            if (c.readLine().startsWith("250 ")) return;
        }
    }

    @Test
    void xclientWithLoginThenRelay() throws Exception {
        try (FakeSmtpBackend b = new FakeSmtpBackend();
             TestProxy p = TestProxy.start(config(b.port(), "auth = none, xclient = true", "default = b1"));
             RawClient c = clientFrom("127.0.0.2", p.port("sub"))) {
            ehlo(c, "client.example");
            c.line("AUTH PLAIN " + BOB_SECRET);
            assertEquals("235 2.7.0 Authentication successful", c.readLine());
            int port = c.socket().getLocalPort();
            assertEquals(List.of(
                    "EHLO proxy.test",
                    "XCLIENT ADDR=127.0.0.2 PORT=" + port + " NAME=[UNAVAILABLE] LOGIN=bob HELO=client.example",
                    "EHLO client.example"), b.received);
            // from here on the backend answers
            c.line("MAIL FROM:<bob@example.test>");
            assertEquals("250 2.1.0 Ok", c.readLine());
            c.line("RCPT TO:<alice@example.test>");
            assertEquals("250 2.1.5 Ok", c.readLine());
            c.line("DATA");
            assertEquals("354 End data with <CR><LF>.<CR><LF>", c.readLine());
            c.send("Subject: hi\r\n\r\n..dot line\r\nbody\r\n.\r\n");
            assertEquals("250 2.0.0 Ok: queued as FAKE1", c.readLine());
            c.line("QUIT");
            assertEquals("221 2.0.0 Bye", c.readLine());
            assertTrue(c.closedByPeer());
            assertEquals(List.of("Subject: hi\r\n\r\n.dot line\r\nbody\r\n"), b.messages);
        }
    }

    @Test
    void xclientValuesAreXtextAndLoginIsLeftToAuthPlain() throws Exception {
        try (FakeSmtpBackend b = new FakeSmtpBackend();
             TestProxy p = TestProxy.start(config(b.port(), "auth = plain, xclient = true", "default = b1"));
             RawClient c = clientFrom("127.0.0.3", p.port("sub"))) {
            ehlo(c, "odd+name=x\u00e9"); // '+', '=' and a non-ASCII byte need xtext
            c.line("AUTH PLAIN " + BOB_SECRET);
            assertEquals("235 2.7.0 Authentication successful", c.readLine());
            int port = c.socket().getLocalPort();
            assertEquals(List.of(
                    "EHLO proxy.test",
                    "XCLIENT ADDR=127.0.0.3 PORT=" + port + " NAME=[UNAVAILABLE] HELO=odd+2Bname+3Dx+E9",
                    "EHLO odd+name=x\u00e9",
                    "AUTH PLAIN " + BOB_SECRET), b.received);
        }
    }

    @Test
    void onlyTheXclientAttributesTheBackendOffers() throws Exception {
        try (FakeSmtpBackend b = new FakeSmtpBackend()) {
            b.overrides.put("EHLO", "250-fake.backend\r\n250 XCLIENT ADDR HELO");
            try (TestProxy p = TestProxy.start(config(b.port(), "auth = none, xclient = true", "default = b1"));
                 RawClient c = clientFrom("127.0.0.4", p.port("sub"))) {
                ehlo(c, "client.example");
                c.line("AUTH PLAIN " + BOB_SECRET);
                assertEquals("235 2.7.0 Authentication successful", c.readLine());
                assertEquals("XCLIENT ADDR=127.0.0.4 HELO=client.example", b.received.get(1));
            }
        }
    }

    /** Postfix: "IPv6 addresses must be specified with the IPV6: prefix". */
    @Test
    void xclientMarksIpv6Addresses() throws Exception {
        try (FakeSmtpBackend b = new FakeSmtpBackend();
             TestProxy p = TestProxy.start(config(b.port(), "auth = none, xclient = true", "default = b1")
                     .replace("\"127.0.0.1:0\" }", "\"[::1]:0\" }"));
             RawClient c = RawClient.connect(new InetSocketAddress("::1", p.port("sub")))) {
            assertEquals("220 proxy.test ESMTP ready", c.readLine());
            ehlo(c, "[IPv6:::1]");
            c.line("AUTH PLAIN " + BOB_SECRET);
            assertEquals("235 2.7.0 Authentication successful", c.readLine());
            assertEquals("XCLIENT ADDR=IPV6:::1 PORT=" + c.socket().getLocalPort()
                    + " NAME=[UNAVAILABLE] LOGIN=bob HELO=[IPv6:::1]", b.received.get(1));
        }
    }

    /** AUTH LOGIN to the backend (Exchange), the client having used AUTH LOGIN without initial response. */
    @Test
    void backendAuthLogin() throws Exception {
        try (FakeSmtpBackend b = new FakeSmtpBackend();
             TestProxy p = TestProxy.start(config(b.port(), "auth = login, xclient = false", "default = b1"));
             RawClient c = RawClient.connect(p.port("sub"))) {
            assertEquals("220 proxy.test ESMTP ready", c.readLine());
            ehlo(c, "client.example");
            c.line("AUTH LOGIN");
            assertEquals("334 VXNlcm5hbWU6", c.readLine());
            c.line("Ym9i");
            assertEquals("334 UGFzc3dvcmQ6", c.readLine());
            c.line("c2VjcmV0");
            assertEquals("235 2.7.0 Authentication successful", c.readLine());
            assertEquals(List.of("EHLO proxy.test", "AUTH LOGIN", "Ym9i", "c2VjcmV0"), b.received);
        }
    }

    /** A wrong password: the backend's own 535 reaches the client, who may try again. */
    @Test
    void backendRefusalIsPassedOnAndTheClientMayRetry() throws Exception {
        try (FakeSmtpBackend b = new FakeSmtpBackend();
             TestProxy p = TestProxy.start(config(b.port(), "auth = plain", "default = b1"));
             RawClient c = RawClient.connect(p.port("sub"))) {
            assertEquals("220 proxy.test ESMTP ready", c.readLine());
            ehlo(c, "client.example");
            c.line("AUTH PLAIN " + BOB_WRONG);
            assertEquals("535 5.7.8 Error: authentication failed: authentication failure", c.readLine());
            c.line("AUTH PLAIN");
            assertEquals("334 ", c.readLine());
            c.line(BOB_SECRET);
            assertEquals("235 2.7.0 Authentication successful", c.readLine());
            assertEquals(2, b.connections());
        }
    }

    /** Commands pipelined behind AUTH (RFC 2920) are relayed once the login is done. */
    @Test
    void commandsPipelinedBehindAuthReachTheBackend() throws Exception {
        try (FakeSmtpBackend b = new FakeSmtpBackend();
             TestProxy p = TestProxy.start(config(b.port(), "auth = plain", "default = b1"));
             RawClient c = RawClient.connect(p.port("sub"))) {
            assertEquals("220 proxy.test ESMTP ready", c.readLine());
            c.send("EHLO client.example\r\nAUTH PLAIN " + BOB_SECRET
                    + "\r\nMAIL FROM:<bob@example.test>\r\nRCPT TO:<alice@example.test>\r\nQUIT\r\n");
            for (int i = 0; i < 6; i++) c.readLine(); // the proxy's EHLO reply
            assertEquals("235 2.7.0 Authentication successful", c.readLine());
            assertEquals("250 2.1.0 Ok", c.readLine());
            assertEquals("250 2.1.5 Ok", c.readLine());
            assertEquals("221 2.0.0 Bye", c.readLine());
            assertEquals(List.of("EHLO proxy.test", "AUTH PLAIN " + BOB_SECRET, "MAIL FROM:<bob@example.test>",
                    "RCPT TO:<alice@example.test>", "QUIT"), b.received);
        }
    }

    @Test
    void xclientRefusedIsATemporaryFailureWithAReasonInTheLog() throws Exception {
        try (FakeSmtpBackend b = new FakeSmtpBackend()) {
            b.overrides.put("XCLIENT", "550 5.7.0 Error: insufficient authorization");
            String log = failedLogin(b, "auth = none, xclient = true");
            assertTrue(log.contains("XCLIENT refused: 550 5.7.0 Error: insufficient authorization"), log);
        }
    }

    @Test
    void xclientNotOfferedIsATemporaryFailureWithAReasonInTheLog() throws Exception {
        try (FakeSmtpBackend b = new FakeSmtpBackend()) {
            b.overrides.put("EHLO", "250-fake.backend\r\n250 AUTH PLAIN LOGIN");
            String log = failedLogin(b, "auth = none, xclient = true");
            assertTrue(log.contains("backend does not offer XCLIENT"), log);
        }
    }

    @Test
    void backendAuthNotEnabledIsATemporaryFailureWithAReasonInTheLog() throws Exception {
        try (FakeSmtpBackend b = new FakeSmtpBackend()) {
            b.overrides.put("AUTH", "503 5.5.1 Error: authentication not enabled");
            String log = failedLogin(b, "auth = plain");
            assertTrue(log.contains("AUTH PLAIN refused: 503 5.5.1 Error: authentication not enabled"), log);
        }
    }

    @Test
    void badBackendGreetingIsATemporaryFailure() throws Exception {
        try (FakeSmtpBackend b = new FakeSmtpBackend()) {
            b.overrides.put("GREETING", "554 5.3.2 fake.backend busy");
            String log = failedLogin(b, "auth = none");
            assertTrue(log.contains("greeting: 554 5.3.2 fake.backend busy"), log);
        }
    }

    /** AUTH as bob against a backend set up to fail; returns what was logged meanwhile. */
    private static String failedLogin(FakeSmtpBackend b, String smtpOptions) throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try (TestProxy p = TestProxy.start(config(b.port(), smtpOptions, "default = b1"));
             RawClient c = RawClient.connect(p.port("sub"))) {
            assertEquals("220 proxy.test ESMTP ready", c.readLine());
            ehlo(c, "client.example");
            c.line("AUTH PLAIN " + BOB_SECRET);
            assertEquals("421 4.3.0 proxy.test Service temporarily unavailable, try again later", c.readLine());
            assertTrue(c.closedByPeer());
        } finally {
            System.setErr(old);
        }
        return err.toString(StandardCharsets.UTF_8);
    }

    /** A backend that accepts and says nothing: backend-timeout, then 421, not a hang. */
    @Test
    void silentBackendTimesOutWith421() throws Exception {
        try (mailproxy.testing.ScriptedServer mute = new mailproxy.testing.ScriptedServer(peer -> {
                 peer.timeout(5000);
                 peer.closedByPeer(); // wait (bounded) for the proxy to give up
             });
             TestProxy p = TestProxy.start(config(mute.port(), "auth = plain", "default = b1")
                     .replace("backend-timeout = 5s", "backend-timeout = 500ms"));
             RawClient c = RawClient.connect(p.port("sub"))) {
            assertEquals("220 proxy.test ESMTP ready", c.readLine());
            ehlo(c, "client.example");
            c.line("AUTH PLAIN " + BOB_SECRET);
            assertEquals("421 4.3.0 proxy.test Service temporarily unavailable, try again later", c.readLine());
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void backendDownIs421() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        try (TestProxy p = TestProxy.start(config(closedPort, "auth = plain", "default = b1"));
             RawClient c = RawClient.connect(p.port("sub"))) {
            assertEquals("220 proxy.test ESMTP ready", c.readLine());
            ehlo(c, "client.example");
            c.line("AUTH PLAIN " + BOB_SECRET);
            assertEquals("421 4.3.0 proxy.test Service temporarily unavailable, try again later", c.readLine());
            assertTrue(c.closedByPeer());
        }
        try (TestProxy p = TestProxy.start(config(closedPort, "auth = plain", "default = b1"));
             RawClient c = RawClient.connect(p.port("mx"))) {
            assertEquals("220 proxy.test ESMTP ready", c.readLine());
            ehlo(c, "mx.example");
            c.line("MAIL FROM:<a@remote.example>");
            assertEquals("250 2.1.0 Ok", c.readLine());
            c.line("RCPT TO:<bob@example.test>");
            assertEquals("421 4.3.0 proxy.test Service temporarily unavailable, try again later", c.readLine());
            assertTrue(c.closedByPeer());
        }
    }

    /** MX mode: EHLO, MAIL and the first RCPT are replayed; the backend's RCPT answer goes to the client. */
    @Test
    void mxReplaysTheEnvelope() throws Exception {
        try (FakeSmtpBackend b = new FakeSmtpBackend();
             TestProxy p = TestProxy.start(config(b.port(), "auth = plain, xclient = true", "default = b1"));
             RawClient c = clientFrom("127.0.0.5", p.port("mx"))) {
            ehlo(c, "mx.remote.example");
            c.line("MAIL FROM:<sender@remote.example> SIZE=100 BODY=8BITMIME");
            assertEquals("250 2.1.0 Ok", c.readLine());
            c.line("RCPT TO:<bob@example.test> NOTIFY=NEVER");
            assertEquals("250 2.1.5 Ok", c.readLine());
            int port = c.socket().getLocalPort();
            // no AUTH and no LOGIN=: there are no credentials in MX mode
            assertEquals(List.of(
                    "EHLO proxy.test",
                    "XCLIENT ADDR=127.0.0.5 PORT=" + port + " NAME=[UNAVAILABLE] HELO=mx.remote.example",
                    "EHLO mx.remote.example",
                    "MAIL FROM:<sender@remote.example> SIZE=100 BODY=8BITMIME",
                    "RCPT TO:<bob@example.test> NOTIFY=NEVER"), b.received);
            c.line("DATA");
            assertEquals("354 End data with <CR><LF>.<CR><LF>", c.readLine());
            c.send("Subject: mx\r\n\r\nhello\r\n.\r\nQUIT\r\n");
            assertEquals("250 2.0.0 Ok: queued as FAKE1", c.readLine());
            assertEquals("221 2.0.0 Bye", c.readLine());
            assertEquals(List.of("Subject: mx\r\n\r\nhello\r\n"), b.messages);
        }
    }

    @Test
    void mxBackendRejectsTheRecipientThenTheNextRecipientGoesThere() throws Exception {
        try (FakeSmtpBackend b = new FakeSmtpBackend()) {
            b.overrides.put("RCPT", "550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown");
            try (TestProxy p = TestProxy.start(config(b.port(), "auth = none", "default = b1"));
                 RawClient c = RawClient.connect(p.port("mx"))) {
                assertEquals("220 proxy.test ESMTP ready", c.readLine());
                ehlo(c, "mx.remote.example");
                c.line("MAIL FROM:<sender@remote.example>");
                assertEquals("250 2.1.0 Ok", c.readLine());
                c.line("RCPT TO:<nobody@example.test>");
                assertEquals("550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown", c.readLine());
                b.overrides.remove("RCPT");
                c.line("RCPT TO:<bob@example.test>");
                assertEquals("250 2.1.5 Ok", c.readLine());
                assertEquals(1, b.connections());
                assertEquals("RCPT TO:<bob@example.test>", b.received.get(b.received.size() - 1));
            }
        }
    }

    @Test
    void mxBackendRejectsTheSenderThenTheTransactionIsGone() throws Exception {
        try (FakeSmtpBackend b = new FakeSmtpBackend()) {
            b.overrides.put("MAIL", "554 5.7.1 <spam@remote.example>: Sender address rejected: Access denied");
            try (TestProxy p = TestProxy.start(config(b.port(), "auth = none", "default = b1"));
                 RawClient c = RawClient.connect(p.port("mx"))) {
                assertEquals("220 proxy.test ESMTP ready", c.readLine());
                ehlo(c, "mx.remote.example");
                c.line("MAIL FROM:<spam@remote.example>");
                assertEquals("250 2.1.0 Ok", c.readLine());
                c.line("RCPT TO:<bob@example.test>");
                assertEquals("554 5.7.1 <spam@remote.example>: Sender address rejected: Access denied", c.readLine());
                c.line("RCPT TO:<alice@example.test>");
                assertEquals("503 5.5.1 Error: need MAIL command", c.readLine());
                c.line("QUIT");
                assertEquals("221 2.0.0 Bye", c.readLine());
            }
        }
    }

    /** MX mode with the static router: the recipient's domain picks the backend. */
    @Test
    void mxRoutesByRecipientDomain() throws Exception {
        try (FakeSmtpBackend one = new FakeSmtpBackend(); FakeSmtpBackend two = new FakeSmtpBackend();
             TestProxy p = TestProxy.start("""
                     mailproxy {
                       server-name = "proxy.test"
                       backends {
                         one { host = "127.0.0.1", smtp { port = %d } }
                         two { host = "127.0.0.1", smtp { port = %d } }
                       }
                       routers { r { type = static, domains { "two.test" = two }, users { "x@one.test" = one } } }
                       listeners = [ { name = mx, protocol = smtp, listen = "127.0.0.1:0", smtp-mode = mx } ]
                     }
                     """.formatted(one.port(), two.port()))) {
            try (RawClient c = RawClient.connect(p.port("mx"))) {
                assertEquals("220 proxy.test ESMTP ready", c.readLine());
                ehlo(c, "mx.remote.example");
                c.line("MAIL FROM:<a@remote.example>");
                assertEquals("250 2.1.0 Ok", c.readLine());
                c.line("RCPT TO:<someone@TWO.test>");
                assertEquals("250 2.1.5 Ok", c.readLine());
            }
            try (RawClient c = RawClient.connect(p.port("mx"))) {
                assertEquals("220 proxy.test ESMTP ready", c.readLine());
                ehlo(c, "mx.remote.example");
                c.line("MAIL FROM:<a@remote.example>");
                assertEquals("250 2.1.0 Ok", c.readLine());
                c.line("RCPT TO:<x@one.test>");
                assertEquals("250 2.1.5 Ok", c.readLine());
            }
            assertEquals(1, one.connections());
            assertEquals(1, two.connections());
            // no route: refused like relaying; the transaction stays for other recipients
            try (RawClient c = RawClient.connect(p.port("mx"))) {
                assertEquals("220 proxy.test ESMTP ready", c.readLine());
                ehlo(c, "mx.remote.example");
                c.line("MAIL FROM:<a@remote.example>");
                assertEquals("250 2.1.0 Ok", c.readLine());
                c.line("RCPT TO:<y@elsewhere.test>");
                assertEquals("554 5.7.1 Relay access denied", c.readLine());
                c.line("RCPT TO:<z@two.test>");
                assertEquals("250 2.1.5 Ok", c.readLine());
                assertEquals("MAIL FROM:<a@remote.example>", two.received.get(two.received.size() - 2));
            }
        }
    }
}
