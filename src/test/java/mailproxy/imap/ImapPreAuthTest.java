package mailproxy.imap;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.List;
import java.util.stream.Stream;
import mailproxy.testing.FreePorts;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** C:/S: transcripts of everything the proxy answers itself before login (RFC 9051 §6.1, §6.2). */
@Timeout(20)
class ImapPreAuthTest {
    private static TestProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        // the backend is down: every login here ends in NO [UNAVAILABLE]
        proxy = ImapFixtures.proxy(FreePorts.closedPort(), "", "max-errors = 5, line-length = 1024, literal-size = 256");
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    private static RawClient connect() throws Exception {
        return RawClient.connect(proxy.port("imap"));
    }

    /** Transcripts after the greeting, each on its own connection. */
    static Stream<Arguments> transcripts() {
        return Stream.of(
                arguments("commandsAreCaseInsensitiveAndNoopAnswers", List.of("""
                        C: x noop
                        S: x OK NOOP completed
                        C: y.2 CaPaBiLiTy
                        S: * CAPABILITY ...
                        S: y.2 OK CAPABILITY completed
                        """)),
                arguments("logoutSaysByeThenOkThenCloses", List.of("""
                        C: z LOGOUT
                        S: * BYE localhost logging out
                        S: z OK LOGOUT completed
                        S closes
                        """)),
                // RFC 2971 §3.1 example; nginx answers BAD here
                arguments("idIsAnsweredBeforeLogin", List.of("""
                        C: a023 ID ("name" "sodr" "version" "19.34" "vendor" "Pink Floyd Music Limited")
                        S: * ID ("name" "mailproxy")
                        S: a023 OK ID completed
                        C: a024 ID NIL
                        S: * ID ...
                        S: a024 OK ID completed
                        # a value as a literal, and a NIL value
                        C: a025 ID ("name" {3}
                        S: + Ready for literal data
                        C: abc "os" NIL)
                        S: * ID ...
                        S: a025 OK ID completed
                        C: a026 ID ("name")
                        S: a026 BAD Missing argument
                        """)),
                arguments("unknownAndNotYetAllowedCommandsGetBad", List.of("""
                        C: a FROB
                        S: a BAD Unknown command
                        C: b SELECT INBOX
                        S: b BAD Log in first
                        C: c STARTTLS
                        S: c BAD STARTTLS is not available
                        C: d NOOP
                        S: d OK NOOP completed
                        """)),
                arguments("maxErrorsSendsTheLastReplyThenBye", List.of("""
                        C: e1 FROB
                        S: e1 BAD Unknown command
                        C: e2 FROB
                        S: e2 BAD Unknown command
                        C: e3 FROB
                        S: e3 BAD Unknown command
                        C: e4 FROB
                        S: e4 BAD Unknown command
                        C: e5 FROB
                        S: e5 BAD Unknown command
                        S: * BYE Too many invalid commands
                        S closes
                        """)),
                arguments("malformedArguments", List.of("""
                        C: a LOGIN "bob secret
                        S: a BAD Unterminated quoted string
                        C: b LOGIN "b\\ob" secret
                        S: b BAD Invalid escape in quoted string
                        C: c LOGIN {abc}
                        S: c BAD Invalid literal size
                        C: d LOGIN {3} bob
                        S: d BAD Invalid literal: '}' must end the line
                        C: f NOOP
                        S: f OK NOOP completed
                        """, """
                        C: g LOGIN bob
                        S: g BAD Missing argument
                        C: h LOGIN bob secret extra
                        S: h BAD Unexpected arguments
                        C: i NOOP now
                        S: i BAD Unexpected arguments
                        C:
                        S: * BAD Empty command line
                        """, """
                        C: abc
                        S: abc BAD Missing command
                        C: (x NOOP
                        S: * BAD Invalid tag
                        C: +x NOOP
                        S: * BAD Invalid tag
                        """)),
                // refused before a byte of it is read: no "+", so the client sends nothing
                arguments("hugeSynchronizingLiteralIsRefusedAtOnceAndTheSessionGoesOn", List.of("""
                        C: a LOGIN {4294967296}
                        S: a BAD Literal too big
                        C: b LOGIN {257}
                        S: b BAD Literal too big
                        C: c LOGIN {99999999999999999999999999}
                        S: c BAD Literal too big
                        C: d NOOP
                        S: d OK NOOP completed
                        """)),
                arguments("hugeNonSynchronizingLiteralIsRefusedAndTheConnectionClosed", List.of("""
                        C: a LOGIN {4294967296+}
                        S: a BAD Literal too big
                        S: * BYE Closing connection
                        S closes
                        """)),
                arguments("overlongLineGetsByeAndClose", List.of("""
                        C: a LOGIN bob %s
                        S: * BYE Command line too long
                        S closes
                        """.formatted("x".repeat(2000)))),
                arguments("loginWithTheBackendDownIsUnavailableThenBye", List.of("""
                        C: a LOGIN {3}
                        S: + Ready for literal data
                        C: bob {6}
                        S: + Ready for literal data
                        C: secret
                        S: a NO [UNAVAILABLE] Service temporarily unavailable, try again later.
                        S: * BYE ...
                        S closes
                        """)),
                arguments("authenticateExchangesBeforeTheBackend", List.of("""
                        C: a AUTHENTICATE CRAM-MD5
                        S: a NO Unsupported authentication mechanism
                        C: b AUTHENTICATE PLAIN
                        S: +\s
                        C: *
                        S: b BAD Authentication cancelled
                        C: c AUTHENTICATE LOGIN
                        S: + VXNlcm5hbWU6
                        C: Ym9i
                        S: + UGFzc3dvcmQ6
                        C: *
                        S: c BAD Authentication cancelled
                        C: d AUTHENTICATE PLAIN !!!notbase64
                        S: d BAD Invalid authentication data
                        C: e NOOP
                        S: e OK NOOP completed
                        """)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transcripts")
    void transcript(String name, List<String> connections) {
        assertAll(name, () -> { // a failure names its case
            for (String transcript : connections) {
                try (RawClient c = connect()) {
                    c.expect("* OK ");
                    c.transcript(transcript);
                }
            }
        });
    }

    @Test
    void greetingAndCapabilityAnnounceAuthSaslIrAndIdButNoStartTls() throws Exception {
        try (RawClient c = connect()) {
            String greeting = c.expect("* OK [CAPABILITY IMAP4rev1 LITERAL+ ID SASL-IR AUTH=PLAIN AUTH=LOGIN] ");
            assertTrue(greeting.endsWith("localhost IMAP proxy ready"), greeting);
            assertFalse(greeting.contains("STARTTLS"));
            c.transcript("""
                    C: a1 CAPABILITY
                    S: * CAPABILITY IMAP4rev1 LITERAL+ ID SASL-IR AUTH=PLAIN AUTH=LOGIN
                    S: a1 OK CAPABILITY completed
                    """);
        }
    }

    @Test
    void nonSynchronizingLiteralOfARefusedCommandIsSkippedNotExecuted() throws Exception {
        try (RawClient c = connect()) {
            c.readLine();
            // the literal's bytes look like a command: they must not run as one
            c.send("a APPEND INBOX {12+}\r\nx1 LOGOUT\r\n\r\nb NOOP\r\n");
            assertEquals("a BAD Log in first", c.readLine());
            assertEquals("b OK NOOP completed", c.readLine());
            c.send("c LOGIN \"bad\\q\" {11+}\r\nx2 LOGOUT\r\n {2+}\r\nzz\r\nd NOOP\r\n");
            assertEquals("c BAD Invalid escape in quoted string", c.readLine());
            assertEquals("d OK NOOP completed", c.readLine());
        }
    }

    @Test
    void nulInALiteralIsRefused() throws Exception {
        try (RawClient c = connect()) {
            c.readLine();
            c.send("a LOGIN {3+}\r\nb\0b {2+}\r\npw\r\n");
            c.transcript("""
                    S: a BAD NUL byte in literal
                    C: b NOOP
                    S: b OK NOOP completed
                    """);
        }
    }

    @Test
    void binaryGarbageIsBadThenBye() throws Exception {
        try (RawClient c = connect()) {
            c.readLine();
            // a TLS ClientHello's first bytes, a NUL line, 8-bit noise
            c.send(new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xa5, 0x01, '\r', '\n'});
            assertEquals("* BAD Invalid tag", c.readLine());
            c.send(new byte[] {0, 0, 0, '\n'});
            assertEquals("* BAD Invalid tag", c.readLine());
            c.send(new byte[] {'t', ' ', (byte) 0xff, (byte) 0xfe, '\r', '\n'});
            assertEquals("t BAD Missing or invalid command", c.readLine());
            c.send(new byte[] {'u', ' ', 'L', 'O', 'G', 'I', 'N', ' ', '"', 0, '"', ' ', 'x', '\r', '\n'});
            assertEquals("u BAD Invalid character in quoted string", c.readLine());
            c.send(new byte[] {(byte) 0x80, ' ', 'N', 'O', 'O', 'P', '\n'});
            c.transcript("""
                    S: * BAD Invalid tag
                    S: * BYE Too many invalid commands
                    S closes
                    """);
        }
    }

    @Test
    void idleClientBeforeLoginIsLoggedOut() throws Exception {
        try (TestProxy p = ImapFixtures.proxy(FreePorts.closedPort(), "", "timeout = 1s");
             RawClient c = ImapFixtures.connect(p)) {
            // also in the middle of a command: the literal announced but never sent
            c.transcript("""
                    C: a LOGIN {3}
                    S: +\s...
                    S: * BYE Autologout; idle for too long
                    S closes
                    """);
        }
    }

    @Test
    void configuredCapabilitiesAreAnnouncedWithoutDuplicatesOrStartTls() throws Exception {
        try (TestProxy p = TestProxy.start("""
                mailproxy {
                  backends { store { host = "127.0.0.1", imap { port = %d } } }
                  routers { r { type = static, default = store } }
                  listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0", auth = [plain],
                                  imap-capabilities = ["IMAP4rev1", "IMAP4rev2", "STARTTLS", "id", "AUTH=LOGIN"] } ]
                }
                """.formatted(FreePorts.closedPort()));
             RawClient c = RawClient.connect(p.port("imap"))) {
            c.transcript("""
                    S: * OK [CAPABILITY IMAP4rev1 IMAP4rev2 id SASL-IR AUTH=PLAIN] ...
                    C: a AUTHENTICATE LOGIN
                    S: a NO Unsupported authentication mechanism
                    """);
        }
    }

    /** The capability list is built once per listener (CapabilityMemo): each listener still announces its own. */
    @Test
    void twoListenersEachGreetWithTheirOwnCapabilitiesTurnAndTurnAbout() throws Exception {
        try (TestProxy p = TestProxy.start("""
                mailproxy {
                  backends { store { host = "127.0.0.1", imap { port = %d } } }
                  routers { r { type = static, default = store } }
                  listeners = [ { name = one, protocol = imap, listen = "127.0.0.1:0", imap-capabilities = ["IMAP4rev1"] }
                                { name = two, protocol = imap, listen = "127.0.0.1:0", imap-capabilities = ["IMAP4rev2"] } ]
                }
                """.formatted(FreePorts.closedPort()))) {
            for (String name : List.of("one", "two", "one", "two")) {
                try (RawClient c = RawClient.connect(p.port(name))) {
                    c.transcript("""
                            S: * OK [CAPABILITY %s ID SASL-IR AUTH=PLAIN AUTH=LOGIN] ...
                            C: a CAPABILITY
                            S: * CAPABILITY %s ID SASL-IR AUTH=PLAIN AUTH=LOGIN
                            S: a OK CAPABILITY completed
                            """.formatted(name.equals("one") ? "IMAP4rev1" : "IMAP4rev2",
                            name.equals("one") ? "IMAP4rev1" : "IMAP4rev2"));
                }
            }
        }
    }
}
