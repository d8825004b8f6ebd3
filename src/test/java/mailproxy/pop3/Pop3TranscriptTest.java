package mailproxy.pop3;

import static mailproxy.testing.Sasl.b64;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.List;
import java.util.stream.Stream;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.FreePorts;
import mailproxy.testing.RawClient;
import mailproxy.testing.Sasl;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * C:/S: transcripts of the POP3 pre-auth dialogue (RFC 1939, 2449, 5034) against a fake
 * Dovecot that takes bob's password "secret" and then echoes commands.
 */
@Timeout(30)
class Pop3TranscriptTest {
    private TestProxy proxy;
    private FakeBackend backend;

    /** The fake Dovecot and a proxy in front of it; {@code extra} are more keys of the backend's pop3 section. */
    private void start(String extra) throws Exception {
        backend = FakeBackends.pop3().accept("bob", "secret").start();
        proxy = proxy(backend.port(), extra);
    }

    private static TestProxy proxy(int backendPort, String extra) throws Exception {
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

    /** Transcripts against the fake Dovecot, each on its own connection. */
    static Stream<Arguments> transcripts() {
        String plain = Sasl.plain("bob", "secret");
        return Stream.of(
                arguments("wrongPasswordGetsBackendReplyAndMayRetry", List.of("""
                        C: USER bob
                        S: +OK...
                        C: PASS wrong
                        S: -ERR [AUTH] Authentication failed.
                        C: USER bob
                        S: +OK...
                        C: PASS secret
                        S: +OK Logged in.
                        """)),
                arguments("authPlainWithAndWithoutInitialResponse", List.of("""
                        C: AUTH PLAIN %s
                        S: +OK Logged in.
                        """.formatted(plain), """
                        C: AUTH PLAIN
                        S: +\s
                        C: %s
                        S: +OK Logged in.
                        """.formatted(plain))),
                arguments("authLoginWithAndWithoutInitialResponse", List.of("""
                        C: AUTH LOGIN
                        S: + VXNlcm5hbWU6
                        C: %s
                        S: + UGFzc3dvcmQ6
                        C: %s
                        S: +OK Logged in.
                        """.formatted(b64("bob"), b64("secret")), """
                        C: AUTH LOGIN %s
                        S: + UGFzc3dvcmQ6
                        C: %s
                        S: +OK Logged in.
                        """.formatted(b64("bob"), b64("secret")))),
                arguments("unknownCommandsAndMaxErrors", List.of("""
                        C: STAT
                        S: -ERR...
                        C: PASS early
                        S: -ERR...
                        C: US\0ER bob
                        S: -ERR...
                        S closes
                        """)),
                arguments("overlongLineGetsErrorAndClose", List.of("""
                        C: USER %s
                        S: -ERR...
                        S closes
                        """.formatted("x".repeat(500)))),
                arguments("silentClientIsDisconnectedAfterTheTimeout", List.of("""
                        S: -ERR Disconnected for inactivity...
                        S closes
                        """)),
                arguments("backendClosingMidRelayClosesTheClient", List.of("""
                        C: USER bob
                        S: +OK...
                        C: PASS secret
                        S: +OK Logged in....
                        C: CLOSE-NOW
                        S closes
                        """)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transcripts")
    void transcript(String name, List<String> connections) {
        assertAll(name, () -> { // a failure names its case
            start("");
            for (String transcript : connections) {
                try (RawClient c = client()) {
                    c.timeout(10_000).transcript(transcript);
                }
            }
        });
    }

    @Test
    void capaListsUserAndSaslThenQuit() throws Exception {
        start("");
        try (RawClient c = client()) {
            c.line("CAPA");
            List<String> caps = c.pop3List();
            assertTrue(caps.contains("USER") && caps.contains("SASL PLAIN LOGIN"), caps.toString());
            c.transcript("""
                    C: noop
                    S: +OK...
                    C: AUTH
                    S: +OK...
                    S: PLAIN
                    S: LOGIN
                    S: .
                    C: QUIT
                    S: +OK...
                    S closes
                    """);
        }
        assertEquals(0, backend.accepted(), "no backend connection before credentials");
    }

    @Test
    void userPassLogsInAndRelays() throws Exception {
        start("");
        try (RawClient c = client()) {
            c.transcript("""
                    C: USER bob
                    S: +OK...
                    # the backend's own reply reaches the client
                    C: PASS secret
                    S: +OK Logged in.
                    C: STAT
                    S: +OK echo STAT
                    C: QUIT
                    S: +OK Logging out....
                    S closes
                    """);
        }
        assertEquals(List.of("USER bob", "PASS secret", "STAT", "QUIT"), backend.received());
    }

    @Test
    void commandsPipelinedBehindPassReachTheBackend() throws Exception {
        start("");
        try (RawClient c = client()) {
            c.send("USER bob\r\nPASS secret\r\nSTAT\r\nLIST\r\nQUIT\r\n");
            c.transcript("""
                    # USER
                    S: +OK...
                    S: +OK Logged in.
                    S: +OK echo STAT
                    S: +OK echo LIST
                    S: +OK Logging out....
                    """);
        }
    }

    @Test
    void authCancelAndGarbageAreErrors() throws Exception {
        start("");
        try (RawClient c = client()) {
            c.transcript("""
                    C: AUTH PLAIN
                    S: +\s...
                    C: *
                    S: -ERR...
                    C: AUTH PLAIN !!!notbase64
                    S: -ERR...
                    C: AUTH GSSAPI
                    S: -ERR...
                    # the third error reaches max-errors = 3
                    S closes
                    """);
        }
        assertEquals(0, backend.accepted());
    }

    @Test
    void crlfSmuggledInsideAuthPlainNeverReachesTheBackend() throws Exception {
        start("");
        try (RawClient c = client()) {
            c.line("AUTH PLAIN " + Sasl.plain("bob", "secret\r\nDELE 1"));
            c.expect("-ERR");
        }
        assertTrue(backend.received().stream().noneMatch(l -> l.startsWith("DELE")), backend.received().toString());
    }

    @Test
    void backendDownIsATemporaryFailure() throws Exception {
        proxy = proxy(FreePorts.closedPort(), "");
        try (RawClient c = client()) {
            c.transcript("""
                    C: USER bob
                    S: +OK...
                    C: PASS secret
                    S: -ERR [SYS/TEMP]...
                    S closes
                    """);
        }
    }

    @Test
    void xclientForwardsTheClientAddressBeforeLogin() throws Exception {
        start(", xclient = true");
        try (RawClient c = client()) {
            c.transcript("""
                    C: USER bob
                    S: +OK...
                    C: PASS secret
                    S: +OK Logged in....
                    C: QUIT
                    S: +OK...
                    """);
            assertEquals("XCLIENT ADDR=127.0.0.1 PORT=" + c.socket().getLocalPort(), backend.received().get(0));
        }
    }

    @Test
    void authPlainToTheBackendWhenConfigured() throws Exception {
        start(", login = auth-plain");
        try (RawClient c = client()) {
            c.transcript("""
                    C: USER bob
                    S: +OK...
                    C: PASS secret
                    S: +OK Logged in.
                    """);
        }
        assertEquals("AUTH PLAIN " + Sasl.plain("bob", "secret"), backend.received().get(0));
    }
}
