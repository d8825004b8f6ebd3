package mailproxy.imap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** C:/S: transcripts of everything the proxy answers itself before login (RFC 9051 §6.1, §6.2). */
@Timeout(20)
class ImapPreAuthTest {
    private static TestProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        // the backend is down: every login here ends in NO [UNAVAILABLE]
        proxy = ImapFixtures.proxy(ImapFixtures.closedPort(), "", "max-errors = 5, line-length = 1024, literal-size = 256");
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    private static RawClient connect() throws Exception {
        return RawClient.connect(proxy.port("imap"));
    }

    @Test
    void greetingAndCapabilityAnnounceAuthSaslIrAndIdButNoStartTls() throws Exception {
        try (RawClient c = connect()) {
            String greeting = c.expect("* OK [CAPABILITY IMAP4rev1 LITERAL+ ID SASL-IR AUTH=PLAIN AUTH=LOGIN] ");
            assertTrue(greeting.endsWith("localhost IMAP proxy ready"), greeting);
            c.line("a1 CAPABILITY");
            assertEquals("* CAPABILITY IMAP4rev1 LITERAL+ ID SASL-IR AUTH=PLAIN AUTH=LOGIN", c.readLine());
            assertEquals("a1 OK CAPABILITY completed", c.readLine());
            assertFalse(greeting.contains("STARTTLS"));
        }
    }

    @Test
    void commandsAreCaseInsensitiveAndNoopAnswers() throws Exception {
        try (RawClient c = connect()) {
            c.readLine();
            c.line("x noop");
            assertEquals("x OK NOOP completed", c.readLine());
            c.line("y.2 CaPaBiLiTy");
            c.expect("* CAPABILITY ");
            assertEquals("y.2 OK CAPABILITY completed", c.readLine());
        }
    }

    @Test
    void logoutSaysByeThenOkThenCloses() throws Exception {
        try (RawClient c = connect()) {
            c.readLine();
            c.line("z LOGOUT");
            assertEquals("* BYE localhost logging out", c.readLine());
            assertEquals("z OK LOGOUT completed", c.readLine());
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void idIsAnsweredBeforeLogin() throws Exception {
        // RFC 2971 §3.1 example; nginx answers BAD here
        try (RawClient c = connect()) {
            c.readLine();
            c.line("a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" \"Pink Floyd Music Limited\")");
            assertEquals("* ID (\"name\" \"mailproxy\")", c.readLine());
            assertEquals("a023 OK ID completed", c.readLine());
            c.line("a024 ID NIL");
            c.expect("* ID ");
            assertEquals("a024 OK ID completed", c.readLine());
            // a value as a literal, and a NIL value
            c.line("a025 ID (\"name\" {3}");
            assertEquals("+ Ready for literal data", c.readLine());
            c.line("abc \"os\" NIL)");
            c.expect("* ID ");
            assertEquals("a025 OK ID completed", c.readLine());
            c.line("a026 ID (\"name\")");
            assertEquals("a026 BAD Missing argument", c.readLine());
        }
    }

    @Test
    void unknownAndNotYetAllowedCommandsGetBad() throws Exception {
        try (RawClient c = connect()) {
            c.readLine();
            c.line("a FROB");
            assertEquals("a BAD Unknown command", c.readLine());
            c.line("b SELECT INBOX");
            assertEquals("b BAD Log in first", c.readLine());
            c.line("c STARTTLS");
            assertEquals("c BAD STARTTLS is not available", c.readLine());
            c.line("d NOOP");
            assertEquals("d OK NOOP completed", c.readLine());
        }
    }

    @Test
    void maxErrorsSendsTheLastReplyThenBye() throws Exception {
        try (RawClient c = connect()) {
            c.readLine();
            for (int i = 1; i <= 4; i++) {
                c.line("e" + i + " FROB");
                assertEquals("e" + i + " BAD Unknown command", c.readLine());
            }
            c.line("e5 FROB");
            assertEquals("e5 BAD Unknown command", c.readLine());
            assertEquals("* BYE Too many invalid commands", c.readLine());
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void malformedArguments() throws Exception {
        try (RawClient c = connect()) {
            c.readLine();
            c.line("a LOGIN \"bob secret");
            assertEquals("a BAD Unterminated quoted string", c.readLine());
            c.line("b LOGIN \"b\\ob\" secret");
            assertEquals("b BAD Invalid escape in quoted string", c.readLine());
            c.line("c LOGIN {abc}");
            assertEquals("c BAD Invalid literal size", c.readLine());
            c.line("d LOGIN {3} bob");
            assertEquals("d BAD Invalid literal: '}' must end the line", c.readLine());
            c.line("f NOOP");
            assertEquals("f OK NOOP completed", c.readLine());
        }
        try (RawClient c = connect()) {
            c.readLine();
            c.line("g LOGIN bob");
            assertEquals("g BAD Missing argument", c.readLine());
            c.line("h LOGIN bob secret extra");
            assertEquals("h BAD Unexpected arguments", c.readLine());
            c.line("i NOOP now");
            assertEquals("i BAD Unexpected arguments", c.readLine());
            c.line("");
            assertEquals("* BAD Empty command line", c.readLine());
        }
        try (RawClient c = connect()) {
            c.readLine();
            c.line("abc");
            assertEquals("abc BAD Missing command", c.readLine());
            c.line("(x NOOP");
            assertEquals("* BAD Invalid tag", c.readLine());
            c.line("+x NOOP");
            assertEquals("* BAD Invalid tag", c.readLine());
        }
    }

    @Test
    void hugeSynchronizingLiteralIsRefusedAtOnceAndTheSessionGoesOn() throws Exception {
        try (RawClient c = connect()) {
            c.readLine();
            // refused before a byte of it is read: no "+", so the client sends nothing
            c.line("a LOGIN {4294967296}");
            assertEquals("a BAD Literal too big", c.readLine());
            c.line("b LOGIN {257}");
            assertEquals("b BAD Literal too big", c.readLine());
            c.line("c LOGIN {99999999999999999999999999}");
            assertEquals("c BAD Literal too big", c.readLine());
            c.line("d NOOP");
            assertEquals("d OK NOOP completed", c.readLine());
        }
    }

    @Test
    void hugeNonSynchronizingLiteralIsRefusedAndTheConnectionClosed() throws Exception {
        try (RawClient c = connect()) {
            c.readLine();
            c.line("a LOGIN {4294967296+}");
            assertEquals("a BAD Literal too big", c.readLine());
            assertEquals("* BYE Closing connection", c.readLine());
            assertTrue(c.closedByPeer());
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
            assertEquals("a BAD NUL byte in literal", c.readLine());
            c.line("b NOOP");
            assertEquals("b OK NOOP completed", c.readLine());
        }
    }

    @Test
    void overlongLineGetsByeAndClose() throws Exception {
        try (RawClient c = connect()) {
            c.readLine();
            c.line("a LOGIN bob " + "x".repeat(2000));
            assertEquals("* BYE Command line too long", c.readLine());
            assertTrue(c.closedByPeer());
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
            assertEquals("* BAD Invalid tag", c.readLine());
            assertEquals("* BYE Too many invalid commands", c.readLine());
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void loginWithTheBackendDownIsUnavailableThenBye() throws Exception {
        try (RawClient c = connect()) {
            c.readLine();
            c.line("a LOGIN {3}");
            assertEquals("+ Ready for literal data", c.readLine());
            c.line("bob {6}");
            assertEquals("+ Ready for literal data", c.readLine());
            c.line("secret");
            assertEquals("a NO [UNAVAILABLE] Service temporarily unavailable, try again later.", c.readLine());
            c.expect("* BYE ");
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void authenticateExchangesBeforeTheBackend() throws Exception {
        try (RawClient c = connect()) {
            c.readLine();
            c.line("a AUTHENTICATE CRAM-MD5");
            assertEquals("a NO Unsupported authentication mechanism", c.readLine());
            c.line("b AUTHENTICATE PLAIN");
            assertEquals("+ ", c.readLine());
            c.line("*");
            assertEquals("b BAD Authentication cancelled", c.readLine());
            c.line("c AUTHENTICATE LOGIN");
            assertEquals("+ VXNlcm5hbWU6", c.readLine());
            c.line("Ym9i");
            assertEquals("+ UGFzc3dvcmQ6", c.readLine());
            c.line("*");
            assertEquals("c BAD Authentication cancelled", c.readLine());
            c.line("d AUTHENTICATE PLAIN !!!notbase64");
            assertEquals("d BAD Invalid authentication data", c.readLine());
            c.line("e NOOP");
            assertEquals("e OK NOOP completed", c.readLine());
        }
    }

    @Test
    void idleClientBeforeLoginIsLoggedOut() throws Exception {
        try (TestProxy p = ImapFixtures.proxy(ImapFixtures.closedPort(), "", "timeout = 1s");
             RawClient c = ImapFixtures.connect(p)) {
            // also in the middle of a command: the literal announced but never sent
            c.line("a LOGIN {3}");
            c.expect("+ ");
            assertEquals("* BYE Autologout; idle for too long", c.readLine());
            assertTrue(c.closedByPeer());
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
                """.formatted(ImapFixtures.closedPort()));
             RawClient c = RawClient.connect(p.port("imap"))) {
            c.expect("* OK [CAPABILITY IMAP4rev1 IMAP4rev2 id SASL-IR AUTH=PLAIN] ");
            c.line("a AUTHENTICATE LOGIN");
            assertEquals("a NO Unsupported authentication mechanism", c.readLine());
        }
    }
}
