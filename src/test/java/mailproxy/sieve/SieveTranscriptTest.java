package mailproxy.sieve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.List;
import java.util.stream.Stream;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.RawClient;
import mailproxy.testing.Sasl;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * C:/S: transcripts of the ManageSieve pre-auth dialogue (RFC 5804) against a fake
 * Pigeonhole that takes bob's password "secret" and then answers OK to any command: the
 * proxy's capability list, AUTHENTICATE "PLAIN" with the response quoted, as a literal
 * or after an empty challenge, the backend's refusal passed on, and the errors the proxy
 * answers itself up to max-errors. The real server: SieveDovecotTest.
 */
@Timeout(30)
class SieveTranscriptTest {
    /** The listener's capability list (RFC 5804 §1.7) without its closing OK. */
    static final String CAPABILITIES = """
            S: "IMPLEMENTATION" "mailproxy"
            S: "SIEVE" "fileinto reject envelope encoded-character vacation subaddress comparator-i;ascii-numeric relational regex imap4flags copy include variables body enotify environment mailbox date index ihave duplicate mime foreverypart extracttext"
            S: "NOTIFY" "mailto"
            S: "SASL" "PLAIN LOGIN"
            S: "VERSION" "1.0"
            """;

    @AutoClose
    private FakeBackend backend;
    @AutoClose
    private TestProxy proxy;

    private RawClient client() throws Exception {
        backend = FakeBackends.sieve().accept("bob", "secret").start();
        proxy = TestProxy.start("""
                mailproxy {
                  server-name = "proxy.test"
                  limits { timeout = 2s, max-errors = 3, line-length = 200 }
                  backends { b { host = "127.0.0.1", sieve { port = %d } } }
                  routers { r { type = static, default = b } }
                  listeners = [ { name = sieve, protocol = sieve, listen = "127.0.0.1:0", auth = [plain, login] } ]
                }
                """.formatted(backend.port()));
        RawClient c = RawClient.connect(proxy.port("sieve"));
        c.transcript(CAPABILITIES + "S: OK \"proxy.test ManageSieve ready.\"\n");
        return c;
    }

    /** Transcripts against the fake Pigeonhole, each on its own connection. */
    static Stream<Arguments> transcripts() {
        String plain = Sasl.plain("bob", "secret");
        return Stream.of(
                arguments("capabilityNoopAndLogout", """
                        C: CAPABILITY
                        %s\
                        S: OK "Capability completed."
                        C: NOOP
                        S: OK "NOOP completed."
                        C: NOOP "probe 1"
                        S: OK (TAG "probe 1") "Done"
                        C: LOGOUT
                        S: OK "Logout completed."
                        S closes
                        """.formatted(CAPABILITIES)),
                arguments("authenticatePlainQuoted", """
                        C: AUTHENTICATE "PLAIN" "%s"
                        S: OK "fake logged in"
                        C: LISTSCRIPTS
                        S: OK "LISTSCRIPTS completed"
                        """.formatted(plain)),
                arguments("authenticatePlainAsALiteral", """
                        C: AUTHENTICATE "PLAIN" {%d+}
                        C: %s
                        S: OK "fake logged in"
                        """.formatted(plain.length(), plain)),
                arguments("authenticatePlainAfterAnEmptyChallenge", """
                        C: AUTHENTICATE "PLAIN"
                        S: ""
                        C: "%s"
                        S: OK "fake logged in"
                        """.formatted(plain)),
                arguments("aWrongPasswordGetsTheBackendsNoAndMayRetry", """
                        C: AUTHENTICATE "PLAIN" "%s"
                        S: NO "Authentication failed."
                        C: AUTHENTICATE "PLAIN" "%s"
                        S: OK "fake logged in"
                        """.formatted(Sasl.plain("bob", "wrong"), plain)),
                arguments("commandsOfTheAuthenticatedStateWantALoginFirst", """
                        C: LISTSCRIPTS
                        S: NO "Authenticate first."
                        C: CAPABILITY now
                        S: NO "CAPABILITY takes no arguments."
                        C: AUTHENTICATE "PLAIN" "%s"
                        S: OK "fake logged in"
                        """.formatted(plain)),
                arguments("maxErrorsEndsTheSession", """
                        C: FROB
                        S: NO "Unknown command."
                        C: GETSCRIPT "x"
                        S: NO "Authenticate first."
                        C: FROB
                        S: NO "Unknown command."
                        S: BYE "Too many invalid commands."
                        S closes
                        """));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transcripts")
    void transcript(String name, String transcript) throws Exception {
        try (RawClient c = client()) {
            c.transcript(transcript);
        }
    }

    /** What the proxy sent the backend for a login: AUTHENTICATE "PLAIN" with the client's credentials, quoted. */
    @Test
    void theBackendGetsAuthenticatePlainQuoted() throws Exception {
        try (RawClient c = client()) {
            c.transcript("""
                    C: AUTHENTICATE "PLAIN" "%s"
                    S: OK "fake logged in"
                    C: LOGOUT
                    S: OK "bye"
                    """.formatted(Sasl.plain("bob", "secret")));
            assertEquals("bob secret", backend.nextLogin());
            assertEquals(List.of("AUTHENTICATE \"PLAIN\" \"" + Sasl.plain("bob", "secret") + "\"", "LOGOUT"), backend.received());
        }
    }
}
