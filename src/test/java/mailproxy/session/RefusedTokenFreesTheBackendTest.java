package mailproxy.session;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import mailproxy.testing.Await;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.ScriptedServer.Script;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A refused bearer token ends with RFC 7628's error challenge to the client, whose answer
 * the server waits for (§3.2.2) up to limits.timeout. The backend has said its NO by then:
 * its connection must not wait with the client, or anyone without a valid token could keep
 * a backend login slot busy for a minute per connection (and per attempt), where a wrong
 * password frees it at once.
 */
@Timeout(60)
class RefusedTokenFreesTheBackendTest {
    static final String ERROR = Base64.getEncoder().encodeToString(
            "{\"status\":\"invalid_token\"}".getBytes(StandardCharsets.US_ASCII));
    static final String TOKEN = Base64.getEncoder().encodeToString(
            "n,a=bob,\u0001auth=Bearer not-a-valid-token\u0001\u0001".getBytes(StandardCharsets.ISO_8859_1));

    /** Counted down when the proxy has closed the backend connection after the backend's refusal. */
    static volatile CountDownLatch backendClosed;
    static ScriptedServer imap;
    static ScriptedServer pop3;
    static ScriptedServer smtp;
    static TestProxy proxy;

    /** The backend's end of one refused token login: its NO, then it waits for the proxy to hang up. */
    static void refuseThenAwaitClose(RawClient peer, String no) throws Exception {
        peer.line("+ " + ERROR);
        peer.readLine(); // the proxy's answer to the error challenge (AQ==)
        peer.line(no);
        peer.timeout(30_000);
        if (peer.readLine() == null) backendClosed.countDown();
    }

    @BeforeAll
    static void start() throws Exception {
        imap = new ScriptedServer(peer -> {
            peer.line("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=OAUTHBEARER] ready");
            String tag = peer.readLine().split(" ")[0]; // mp1 AUTHENTICATE OAUTHBEARER <token>
            refuseThenAwaitClose(peer, tag + " NO [AUTHENTICATIONFAILED] Authentication failed.");
        });
        pop3 = new ScriptedServer(peer -> {
            peer.line("+OK ready");
            peer.readLine(); // CAPA
            peer.send("+OK\r\nSASL OAUTHBEARER\r\n.\r\n");
            peer.readLine(); // AUTH OAUTHBEARER <token>
            refuseThenAwaitClose(peer, "-ERR [AUTH] Authentication failed.");
        });
        smtp = new ScriptedServer(peer -> {
            peer.line("220 ready");
            peer.readLine(); // EHLO
            peer.send("250-backend\r\n250 AUTH OAUTHBEARER\r\n");
            peer.readLine(); // AUTH OAUTHBEARER <token>
            peer.send("334 " + ERROR + "\r\n");
            peer.readLine();
            peer.line("535 5.7.8 Authentication failed");
            peer.timeout(30_000);
            if (peer.readLine() == null) backendClosed.countDown();
        });
        proxy = TestProxy.start("""
                mailproxy {
                  backends { d { host = "127.0.0.1", imap { port = %d }, pop3 { port = %d }, smtp { port = %d, auth = plain } } }
                  routers { r { type = static, default = d } }
                  listener-defaults { router = r, auth = [plain, oauthbearer] }
                  listeners = [
                    { name = imap, protocol = imap, listen = "127.0.0.1:0" }
                    { name = pop3, protocol = pop3, listen = "127.0.0.1:0" }
                    { name = smtp, protocol = smtp, listen = "127.0.0.1:0" }
                  ]
                }""".formatted(imap.port(), pop3.port(), smtp.port()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) proxy.close();
        for (ScriptedServer s : new ScriptedServer[] {imap, pop3, smtp}) if (s != null) s.close();
    }

    /** Per protocol: the token login up to the error challenge the client sees, and the final refusal. */
    static Stream<Arguments> protocols() {
        return Stream.of(
                arguments("imap", (Script) c -> c.transcript("""
                        S: * OK...
                        C: a AUTHENTICATE OAUTHBEARER %s
                        S: + ...
                        """.formatted(TOKEN)), "S: a NO..."),
                arguments("pop3", (Script) c -> c.transcript("""
                        S: +OK...
                        C: AUTH OAUTHBEARER %s
                        S: + ...
                        """.formatted(TOKEN)), "S: -ERR..."),
                arguments("smtp", (Script) c -> {
                    c.expect("220 ");
                    c.line("EHLO client.example");
                    c.smtpReply();
                    c.transcript("""
                            C: AUTH OAUTHBEARER %s
                            S: 334 ...
                            """.formatted(TOKEN));
                }, "S: 535..."));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("protocols")
    void theBackendIsClosedBeforeTheClientAnswersTheErrorChallenge(String protocol, Script upToChallenge, String refusal)
            throws Exception {
        backendClosed = new CountDownLatch(1);
        try (RawClient c = RawClient.connect(proxy.port(protocol))) {
            upToChallenge.run(c);
            // the client takes its time to answer: the backend must not wait with it
            boolean closed = Await.until(Duration.ofSeconds(5), () -> backendClosed.getCount() == 0);
            c.transcript("C: AQ==\n" + refusal);
            assertAll(protocol, () -> assertTrue(closed, "the backend connection waited for the client's answer"));
        }
    }
}
