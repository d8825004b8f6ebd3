package mailproxy.smtp;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.stream.Stream;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.FreePorts;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.Sasl;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The backend half (docs/ARCHITECTURE.md, "The login") against a recording fake Postfix:
 * what the proxy says to the backend for each backend setting, what reaches the client,
 * and how failures end.
 */
@Timeout(30)
class SmtpBackendTest {
    /** AUTH PLAIN initial response for bob / secret. */
    static final String BOB_SECRET = "AGJvYgBzZWNyZXQ=";
    static final String BOB_WRONG = "AGJvYgB3cm9uZw==";
    static final String UNAVAILABLE = "421 4.3.0 proxy.test Service temporarily unavailable, try again later";
    /** AUTH as bob, and the success the backend answers. */
    static final String AUTH_BOB = """
            C: AUTH PLAIN %s
            S: 235 2.7.0 Authentication successful
            """.formatted(BOB_SECRET);

    static String config(int backendPort, String smtpOptions) {
        return """
                mailproxy {
                  server-name = "proxy.test"
                  limits { backend-timeout = 5s }
                  backends { b1 { host = "127.0.0.1", smtp { port = %d, %s } } }
                  routers { r { type = static, default = b1 } }
                  listeners = [
                    # the fake backend takes any password: the XCLIENT LOGIN= tests need auth = none
                    { name = sub, protocol = smtp, smtp-trust-unchecked-login = true, listen = "127.0.0.1:0" }
                    { name = mx, protocol = smtp, listen = "127.0.0.1:0", smtp-mode = mx }
                  ]
                }
                """.formatted(backendPort, smtpOptions);
    }

    /** A fake Postfix that takes bob's password "secret". */
    static FakeBackend backend() throws IOException {
        return FakeBackends.smtp().accept("bob", "secret").start();
    }

    /** A client from another loopback address, so the forwarded ADDR is not the proxy's own; greeted. */
    static RawClient clientFrom(String localAddress, int port) throws Exception {
        RawClient c = RawClient.connectFrom(localAddress, port);
        assertEquals("220 proxy.test ESMTP ready", c.readLine());
        return c;
    }

    /** A client of the proxy's listener, greeted. */
    static RawClient client(TestProxy p, String listener) throws Exception {
        RawClient c = RawClient.connect(p.port(listener));
        assertEquals("220 proxy.test ESMTP ready", c.readLine());
        return c;
    }

    static void ehlo(RawClient c, String name) throws Exception {
        c.line("EHLO " + name);
        c.smtpReply();
    }

    /** What a test does with the fake backend and a client that has said EHLO. */
    @FunctionalInterface
    private interface Dialogue {
        void run(FakeBackend backend, RawClient client) throws Exception;
    }

    /**
     * Runs {@code dialogue} against {@code backend} behind a proxy that has {@code smtpOptions}
     * for it, with a client of {@code listener} that comes from {@code address} and has said
     * EHLO {@code helo}; closes all three after.
     */
    private static void dialogue(FakeBackend backend, String smtpOptions, String listener, String address, String helo,
            Dialogue dialogue) throws Exception {
        try (FakeBackend b = backend;
             TestProxy p = TestProxy.start(config(b.port(), smtpOptions));
             RawClient c = clientFrom(address, p.port(listener))) {
            ehlo(c, helo);
            dialogue.run(b, c);
        }
    }

    /** Asserts every line the backend received so far, one a line. */
    private static void assertReceived(FakeBackend b, String expected) {
        assertEquals(expected, String.join("\n", b.received()) + "\n");
    }

    /** AUTH as bob on the submission listener of a proxy whose backend cannot serve: 421, then close. */
    private static void authGets421(TestProxy p) throws Exception {
        try (RawClient c = client(p, "sub")) {
            ehlo(c, "client.example");
            c.transcript("""
                    C: AUTH PLAIN %s
                    S: %s
                    S closes
                    """.formatted(BOB_SECRET, UNAVAILABLE));
        }
    }

    @Test
    void xclientWithLoginThenRelay() throws Exception {
        dialogue(backend(), "auth = none, xclient = true", "sub", "127.0.0.2", "client.example", (b, c) -> {
            c.transcript(AUTH_BOB);
            assertReceived(b, """
                    EHLO proxy.test
                    XCLIENT ADDR=127.0.0.2 PORT=%d NAME=[UNAVAILABLE] LOGIN=bob HELO=client.example
                    EHLO client.example
                    """.formatted(c.socket().getLocalPort()));
            // from here on the backend answers
            c.transcript("""
                    C: MAIL FROM:<bob@example.test>
                    S: 250 2.1.0 Ok
                    C: RCPT TO:<alice@example.test>
                    S: 250 2.1.5 Ok
                    C: DATA
                    S: 354 End data with <CR><LF>.<CR><LF>
                    C: Subject: hi
                    C:
                    C: ..dot line
                    C: body
                    C: .
                    S: 250 2.0.0 Ok: queued as FAKE1
                    C: QUIT
                    S: 221 2.0.0 Bye
                    S closes
                    """);
            assertEquals(List.of("Subject: hi\r\n\r\n.dot line\r\nbody\r\n"), b.messages());
        });
    }

    @Test
    void xclientValuesAreXtextAndLoginIsLeftToAuthPlain() throws Exception {
        // '+', '=' and a non-ASCII byte need xtext
        dialogue(backend(), "auth = plain, xclient = true", "sub", "127.0.0.3", "odd+name=x\u00e9", (b, c) -> {
            c.transcript(AUTH_BOB);
            assertReceived(b, """
                    EHLO proxy.test
                    XCLIENT ADDR=127.0.0.3 PORT=%d NAME=[UNAVAILABLE] HELO=odd+2Bname+3Dx+E9
                    EHLO odd+name=x\u00e9
                    AUTH PLAIN %s
                    """.formatted(c.socket().getLocalPort(), BOB_SECRET));
        });
    }

    @Test
    void onlyTheXclientAttributesTheBackendOffers() throws Exception {
        FakeBackend offersTwo = backend().override("EHLO", "250-fake.backend\r\n250 XCLIENT ADDR HELO");
        dialogue(offersTwo, "auth = none, xclient = true", "sub", "127.0.0.4", "client.example", (b, c) -> {
            c.transcript(AUTH_BOB);
            assertEquals("XCLIENT ADDR=127.0.0.4 HELO=client.example", b.received().get(1));
        });
    }

    /** Postfix: "IPv6 addresses must be specified with the IPV6: prefix". */
    @Test
    void xclientMarksIpv6Addresses() throws Exception {
        try (FakeBackend b = backend();
             TestProxy p = TestProxy.start(config(b.port(), "auth = none, xclient = true")
                     .replace("\"127.0.0.1:0\" }", "\"[::1]:0\" }"));
             RawClient c = RawClient.connect(new InetSocketAddress("::1", p.port("sub")))) {
            assertEquals("220 proxy.test ESMTP ready", c.readLine());
            ehlo(c, "[IPv6:::1]");
            c.transcript(AUTH_BOB);
            assertEquals("XCLIENT ADDR=IPV6:::1 PORT=" + c.socket().getLocalPort()
                    + " NAME=[UNAVAILABLE] LOGIN=bob HELO=[IPv6:::1]", b.received().get(1));
        }
    }

    /** AUTH LOGIN to the backend (Exchange), the client having used AUTH LOGIN without initial response. */
    @Test
    void backendAuthLogin() throws Exception {
        dialogue(backend(), "auth = login, xclient = false", "sub", "127.0.0.1", "client.example", (b, c) -> {
            c.transcript(Sasl.smtpAuthLogin("Ym9i", "c2VjcmV0"));
            assertEquals(List.of("EHLO proxy.test", "AUTH LOGIN", "Ym9i", "c2VjcmV0"), b.received());
        });
    }

    /** A wrong password: the backend's own 535 reaches the client, who may try again. */
    @Test
    void backendRefusalIsPassedOnAndTheClientMayRetry() throws Exception {
        dialogue(backend(), "auth = plain", "sub", "127.0.0.1", "client.example", (b, c) -> {
            c.transcript("""
                    C: AUTH PLAIN %s
                    S: 535 5.7.8 Error: authentication failed: authentication failure
                    C: AUTH PLAIN
                    S: 334\s
                    C: %s
                    S: 235 2.7.0 Authentication successful
                    """.formatted(BOB_WRONG, BOB_SECRET));
            assertEquals(2, b.accepted());
        });
    }

    /** Commands pipelined behind AUTH (RFC 2920) are relayed once the login is done. */
    @Test
    void commandsPipelinedBehindAuthReachTheBackend() throws Exception {
        try (FakeBackend b = backend();
             TestProxy p = TestProxy.start(config(b.port(), "auth = plain"));
             RawClient c = client(p, "sub")) {
            c.send("EHLO client.example\r\nAUTH PLAIN " + BOB_SECRET
                    + "\r\nMAIL FROM:<bob@example.test>\r\nRCPT TO:<alice@example.test>\r\nQUIT\r\n");
            c.smtpReply(); // the proxy's EHLO reply
            c.transcript("""
                    S: 235 2.7.0 Authentication successful
                    S: 250 2.1.0 Ok
                    S: 250 2.1.5 Ok
                    S: 221 2.0.0 Bye
                    """);
            assertEquals(List.of("EHLO proxy.test", "AUTH PLAIN " + BOB_SECRET, "MAIL FROM:<bob@example.test>",
                    "RCPT TO:<alice@example.test>", "QUIT"), b.received());
        }
    }

    /** Backends that answer the login dialogue wrongly: which reply, with which settings, and the reason logged. */
    static Stream<Arguments> unusableBackends() {
        return Stream.of(
                arguments("xclientRefusedIsATemporaryFailureWithAReasonInTheLog",
                        "XCLIENT", "550 5.7.0 Error: insufficient authorization", "auth = none, xclient = true",
                        "XCLIENT refused: 550 5.7.0 Error: insufficient authorization"),
                arguments("xclientNotOfferedIsATemporaryFailureWithAReasonInTheLog",
                        "EHLO", "250-fake.backend\r\n250 AUTH PLAIN LOGIN", "auth = none, xclient = true",
                        "backend does not offer XCLIENT"),
                arguments("backendAuthNotEnabledIsATemporaryFailureWithAReasonInTheLog",
                        "AUTH", "503 5.5.1 Error: authentication not enabled", "auth = plain",
                        "AUTH PLAIN refused: 503 5.5.1 Error: authentication not enabled"),
                arguments("badBackendGreetingIsATemporaryFailure",
                        "GREETING", "554 5.3.2 fake.backend busy", "auth = none",
                        "greeting: 554 5.3.2 fake.backend busy"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unusableBackends")
    void unusableBackendIsATemporaryFailureWithAReasonInTheLog(String name, String verb, String reply,
            String smtpOptions, String reason) {
        assertAll(name, () -> { // a failure names its case
            try (FakeBackend b = backend().override(verb, reply); LogCapture log = new LogCapture()) {
                try (TestProxy p = TestProxy.start(config(b.port(), smtpOptions))) {
                    authGets421(p);
                }
                assertTrue(log.text().contains(reason), log.text());
            }
        });
    }

    /** A backend that accepts and says nothing: backend-timeout, then 421, not a hang. */
    @Test
    void silentBackendTimesOutWith421() throws Exception {
        try (ScriptedServer mute = new ScriptedServer(peer -> {
                 peer.timeout(5000);
                 peer.closedByPeer(); // wait (bounded) for the proxy to give up
             });
             TestProxy p = TestProxy.start(config(mute.port(), "auth = plain")
                     .replace("backend-timeout = 5s", "backend-timeout = 500ms"))) {
            authGets421(p);
        }
    }

    @Test
    void backendDownIs421() throws Exception {
        int closedPort = FreePorts.closedPort();
        try (TestProxy p = TestProxy.start(config(closedPort, "auth = plain"))) {
            authGets421(p);
        }
        try (TestProxy p = TestProxy.start(config(closedPort, "auth = plain"));
             RawClient c = client(p, "mx")) {
            ehlo(c, "mx.example");
            c.transcript("""
                    C: MAIL FROM:<a@remote.example>
                    S: 250 2.1.0 Ok
                    C: RCPT TO:<bob@example.test>
                    S: %s
                    S closes
                    """.formatted(UNAVAILABLE));
        }
    }

    /** MX mode: EHLO, MAIL and the first RCPT are replayed; the backend's RCPT answer goes to the client. */
    @Test
    void mxReplaysTheEnvelope() throws Exception {
        dialogue(backend(), "auth = plain, xclient = true", "mx", "127.0.0.5", "mx.remote.example", (b, c) -> {
            c.transcript("""
                    C: MAIL FROM:<sender@remote.example> SIZE=100 BODY=8BITMIME
                    S: 250 2.1.0 Ok
                    C: RCPT TO:<bob@example.test> NOTIFY=NEVER
                    S: 250 2.1.5 Ok
                    """);
            // no AUTH and no LOGIN=: there are no credentials in MX mode
            assertReceived(b, """
                    EHLO proxy.test
                    XCLIENT ADDR=127.0.0.5 PORT=%d NAME=[UNAVAILABLE] HELO=mx.remote.example
                    EHLO mx.remote.example
                    MAIL FROM:<sender@remote.example> SIZE=100 BODY=8BITMIME
                    RCPT TO:<bob@example.test> NOTIFY=NEVER
                    """.formatted(c.socket().getLocalPort()));
            c.line("DATA");
            assertEquals("354 End data with <CR><LF>.<CR><LF>", c.readLine());
            c.send("Subject: mx\r\n\r\nhello\r\n.\r\nQUIT\r\n");
            assertEquals("250 2.0.0 Ok: queued as FAKE1", c.readLine());
            assertEquals("221 2.0.0 Bye", c.readLine());
            assertEquals(List.of("Subject: mx\r\n\r\nhello\r\n"), b.messages());
        });
    }

    @Test
    void mxBackendRejectsTheRecipientThenTheNextRecipientGoesThere() throws Exception {
        String unknown = "550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown";
        dialogue(backend().override("RCPT", unknown), "auth = none", "mx", "127.0.0.1", "mx.remote.example", (b, c) -> {
            c.transcript("""
                    C: MAIL FROM:<sender@remote.example>
                    S: 250 2.1.0 Ok
                    C: RCPT TO:<nobody@example.test>
                    S: %s
                    """.formatted(unknown));
            b.restore("RCPT");
            c.line("RCPT TO:<bob@example.test>");
            assertEquals("250 2.1.5 Ok", c.readLine());
            assertEquals(1, b.accepted());
            assertEquals("RCPT TO:<bob@example.test>", b.received().get(b.received().size() - 1));
        });
    }

    @Test
    void mxBackendRejectsTheSenderThenTheTransactionIsGone() throws Exception {
        FakeBackend refusesSender = backend()
                .override("MAIL", "554 5.7.1 <spam@remote.example>: Sender address rejected: Access denied");
        dialogue(refusesSender, "auth = none", "mx", "127.0.0.1", "mx.remote.example", (b, c) -> c.transcript("""
                C: MAIL FROM:<spam@remote.example>
                S: 250 2.1.0 Ok
                C: RCPT TO:<bob@example.test>
                S: 554 5.7.1 <spam@remote.example>: Sender address rejected: Access denied
                C: RCPT TO:<alice@example.test>
                S: 503 5.5.1 Error: need MAIL command
                C: QUIT
                S: 221 2.0.0 Bye
                """));
    }

    /** MX mode with the static router: the recipient's domain picks the backend. */
    @Test
    void mxRoutesByRecipientDomain() throws Exception {
        try (FakeBackend one = backend(); FakeBackend two = backend();
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
            mxTranscript(p, """
                    C: RCPT TO:<someone@TWO.test>
                    S: 250 2.1.5 Ok
                    """);
            mxTranscript(p, """
                    C: RCPT TO:<x@one.test>
                    S: 250 2.1.5 Ok
                    """);
            assertEquals(1, one.accepted());
            assertEquals(1, two.accepted());
            // no route: refused like relaying; the transaction stays for other recipients
            mxTranscript(p, """
                    C: RCPT TO:<y@elsewhere.test>
                    S: 554 5.7.1 Relay access denied
                    C: RCPT TO:<z@two.test>
                    S: 250 2.1.5 Ok
                    """);
            assertEquals("MAIL FROM:<a@remote.example>", two.received().get(two.received().size() - 2));
        }
    }

    /** EHLO and MAIL FROM:<a@remote.example> on the MX listener, then {@code transcript}. */
    private static void mxTranscript(TestProxy p, String transcript) throws Exception {
        try (RawClient c = client(p, "mx")) {
            ehlo(c, "mx.remote.example");
            c.transcript("""
                    C: MAIL FROM:<a@remote.example>
                    S: 250 2.1.0 Ok
                    """ + transcript);
        }
    }
}
