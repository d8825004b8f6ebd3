package mailproxy.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pre-auth dialogue as raw C:/S: transcripts (RFC 5321, 4954, 2920): what the proxy
 * answers by itself before any backend is involved.
 */
@Timeout(30)
class SmtpDialogueTest {
    private static TestProxy proxy;

    static final String EHLO_SUBMISSION = """
            250-proxy.test\r
            250-PIPELINING\r
            250-SIZE\r
            250-8BITMIME\r
            250-ENHANCEDSTATUSCODES\r
            250 AUTH PLAIN LOGIN\r
            """;

    @BeforeAll
    static void start() throws Exception {
        // The backend port is never reached by these tests (nothing logs in).
        proxy = TestProxy.start("""
                mailproxy {
                  server-name = "proxy.test"
                  limits { max-errors = 10, timeout = 10s }
                  backends { b1 { host = "127.0.0.1", smtp { port = 9, auth = plain } } }
                  routers { r { type = static, default = b1 } }
                  listeners = [
                    { name = sub, protocol = smtp, listen = "127.0.0.1:0" }
                    { name = mx, protocol = smtp, listen = "127.0.0.1:0", smtp-mode = mx, smtp-size = 1000 }
                    { name = nosize, protocol = smtp, listen = "127.0.0.1:0", smtp-size = -1, auth = [plain] }
                    { name = slow, protocol = smtp, listen = "127.0.0.1:0", smtp-greeting-delay = 400ms }
                  ]
                }
                """);
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    private static RawClient connect(String listener) throws Exception {
        RawClient c = RawClient.connect(proxy.port(listener));
        assertEquals("220 proxy.test ESMTP ready", c.readLine());
        return c;
    }

    /** Reads as many lines as {@code expected} has and compares them, CRLFs included. */
    private static void expectLines(RawClient c, String expected) throws Exception {
        StringBuilder got = new StringBuilder();
        for (long n = expected.lines().count(); n > 0; n--) got.append(c.readLine()).append("\r\n");
        assertEquals(expected, got.toString());
    }

    @Test
    void greetingEhloAndQuit() throws Exception {
        try (RawClient c = connect("sub")) {
            c.line("EHLO client.example");
            expectLines(c, EHLO_SUBMISSION);
            c.line("QUIT");
            assertEquals("221 2.0.0 Bye", c.readLine());
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void ehloNeverOffersChunkingAndHonoursSizeAndMechanisms() throws Exception {
        try (RawClient c = connect("mx")) {
            c.line("ehlo client.example"); // verbs are case-insensitive (RFC 5321 §2.4)
            expectLines(c, """
                    250-proxy.test\r
                    250-PIPELINING\r
                    250-SIZE 1000\r
                    250-8BITMIME\r
                    250 ENHANCEDSTATUSCODES\r
                    """);
        }
        try (RawClient c = connect("nosize")) {
            c.line("EHLO client.example");
            expectLines(c, """
                    250-proxy.test\r
                    250-PIPELINING\r
                    250-8BITMIME\r
                    250-ENHANCEDSTATUSCODES\r
                    250 AUTH PLAIN\r
                    """);
        }
    }

    @Test
    void heloNoopRsetVrfy() throws Exception {
        try (RawClient c = connect("sub")) {
            c.line("HELO client.example");
            assertEquals("250 proxy.test", c.readLine());
            c.line("NOOP");
            assertEquals("250 2.0.0 Ok", c.readLine());
            c.line("NOOP with a string");
            assertEquals("250 2.0.0 Ok", c.readLine());
            c.line("RSET");
            assertEquals("250 2.0.0 Ok", c.readLine());
            c.line("VRFY bob");
            assertEquals("530 5.7.0 Authentication required", c.readLine());
            c.line("QUIT");
            assertEquals("221 2.0.0 Bye", c.readLine());
        }
    }

    @Test
    void submissionWantsAuthBeforeMail() throws Exception {
        try (RawClient c = connect("sub")) {
            c.line("EHLO client.example");
            expectLines(c, EHLO_SUBMISSION);
            c.line("MAIL FROM:<bob@example.test>");
            assertEquals("530 5.7.0 Authentication required", c.readLine());
            c.line("RCPT TO:<alice@example.test>");
            assertEquals("530 5.7.0 Authentication required", c.readLine());
            c.line("DATA");
            assertEquals("530 5.7.0 Authentication required", c.readLine());
        }
    }

    @Test
    void authNeedsEhloAndAKnownMechanism() throws Exception {
        try (RawClient c = connect("sub")) {
            c.line("AUTH PLAIN AGJvYgBzZWNyZXQ=");
            assertEquals("503 5.5.1 Error: send HELO/EHLO first", c.readLine());
            c.line("EHLO client.example");
            expectLines(c, EHLO_SUBMISSION);
            c.line("AUTH CRAM-MD5");
            assertEquals("504 5.5.4 Unrecognized authentication type", c.readLine());
            c.line("AUTH");
            assertEquals("501 5.5.4 Syntax: AUTH mechanism [initial-response]", c.readLine());
            c.line("AUTH PLAIN a b");
            assertEquals("501 5.5.4 Syntax: AUTH mechanism [initial-response]", c.readLine());
        }
    }

    /** RFC 4954 §4: "*" cancels an exchange with 501; bad base64 gets 501 5.5.2. */
    @Test
    void authCancelAndUndecodable() throws Exception {
        try (RawClient c = connect("sub")) {
            c.line("EHLO client.example");
            expectLines(c, EHLO_SUBMISSION);
            c.line("AUTH PLAIN");
            assertEquals("334 ", c.readLine());
            c.line("*");
            assertEquals("501 5.7.0 Authentication cancelled", c.readLine());
            c.line("AUTH LOGIN");
            assertEquals("334 VXNlcm5hbWU6", c.readLine());
            c.line("*");
            assertEquals("501 5.7.0 Authentication cancelled", c.readLine());
            c.line("auth login Ym9i"); // initial response = user name: straight to Password:
            assertEquals("334 UGFzc3dvcmQ6", c.readLine());
            c.line("*");
            assertEquals("501 5.7.0 Authentication cancelled", c.readLine());
            c.line("AUTH PLAIN !!notbase64!!");
            assertEquals("501 5.5.2 Cannot decode authentication data", c.readLine());
            c.line("AUTH PLAIN");
            assertEquals("334 ", c.readLine());
            c.line("Ym9i"); // "bob": not authzid NUL user NUL password
            assertEquals("501 5.5.2 Cannot decode authentication data", c.readLine());
            c.line("NOOP");
            assertEquals("250 2.0.0 Ok", c.readLine());
        }
    }

    @Test
    void badInput() throws Exception {
        try (RawClient c = connect("sub")) {
            c.line("XCLIENT ADDR=192.0.2.1"); // never from a client
            assertEquals("500 5.5.2 Error: command not recognized", c.readLine());
            c.line("");
            assertEquals("500 5.5.2 Error: bad syntax", c.readLine());
            c.line("NOOP\0x");
            assertEquals("500 5.5.2 Error: bad syntax", c.readLine());
            c.line("NO\rOP");
            assertEquals("500 5.5.2 Error: bad syntax", c.readLine());
            c.line("EHLO");
            assertEquals("501 5.5.4 Syntax: EHLO hostname", c.readLine());
            c.line("BDAT 10 LAST");
            assertEquals("502 5.5.1 Error: command not implemented", c.readLine());
            c.line("STARTTLS");
            assertEquals("502 5.5.1 Error: command not implemented", c.readLine());
            c.send("NOOP\n"); // a bare LF still ends a line
            assertEquals("250 2.0.0 Ok", c.readLine());
        }
    }

    /** Ten errors allowed: the tenth reply is still sent, then 421 and close. */
    @Test
    void tooManyErrorsCloseWith421() throws Exception {
        try (RawClient c = connect("sub")) {
            for (int i = 1; i <= 10; i++) {
                c.line("FOO " + i);
                assertEquals("500 5.5.2 Error: command not recognized", c.readLine());
            }
            assertEquals("421 4.7.0 proxy.test Error: too many errors", c.readLine());
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void overlongLineGets500AndClose() throws Exception {
        try (RawClient c = connect("sub")) {
            c.line("NOOP " + "x".repeat(9000));
            assertEquals("500 5.5.2 Error: line too long", c.readLine());
            assertTrue(c.closedByPeer());
        }
        try (RawClient c = connect("sub")) {
            c.line("EHLO client.example");
            expectLines(c, EHLO_SUBMISSION);
            c.line("AUTH PLAIN");
            assertEquals("334 ", c.readLine());
            c.line("A".repeat(9000));
            assertEquals("500 5.5.6 Authentication exchange line is too long", c.readLine());
            assertTrue(c.closedByPeer());
        }
    }

    /** RFC 2920: a whole group in one write, every reply in order. */
    @Test
    void pipelinedCommandsAreAnsweredInOrder() throws Exception {
        try (RawClient c = connect("sub")) {
            c.send("EHLO client.example\r\nNOOP\r\nMAIL FROM:<bob@example.test>\r\nRSET\r\nFOO\r\nHELO again.example\r\nQUIT\r\n");
            expectLines(c, EHLO_SUBMISSION + """
                    250 2.0.0 Ok\r
                    530 5.7.0 Authentication required\r
                    250 2.0.0 Ok\r
                    500 5.5.2 Error: command not recognized\r
                    250 proxy.test\r
                    221 2.0.0 Bye\r
                    """);
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void mxDialogueBeforeTheFirstRecipient() throws Exception {
        try (RawClient c = connect("mx")) {
            c.line("MAIL FROM:<a@remote.example>");
            assertEquals("503 5.5.1 Error: send HELO/EHLO first", c.readLine());
            c.line("HELO client.example");
            assertEquals("250 proxy.test", c.readLine());
            c.line("AUTH PLAIN AGJvYgBzZWNyZXQ=");
            assertEquals("503 5.5.1 Error: authentication not enabled", c.readLine());
            c.line("RCPT TO:<bob@example.test>");
            assertEquals("503 5.5.1 Error: need MAIL command", c.readLine());
            c.line("VRFY bob");
            assertEquals("252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery", c.readLine());
            c.line("MAIL FROM:<a@remote.example> SIZE=2000");
            assertEquals("552 5.3.4 Message size exceeds fixed maximum message size", c.readLine());
            c.line("MAIL FROM:<a@remote.example");
            assertEquals("501 5.1.7 Bad sender address syntax", c.readLine());
            c.line("MAIL TO:<a@remote.example>");
            assertEquals("501 5.5.4 Syntax: MAIL FROM:<address>", c.readLine());
            c.line("QUIT");
            assertEquals("221 2.0.0 Bye", c.readLine());
        }
        try (RawClient c = connect("mx")) {
            c.line("EHLO client.example");
            expectLines(c, """
                    250-proxy.test\r
                    250-PIPELINING\r
                    250-SIZE 1000\r
                    250-8BITMIME\r
                    250 ENHANCEDSTATUSCODES\r
                    """);
            c.line("MAIL FROM:<a@remote.example> SIZE=900");
            assertEquals("250 2.1.0 Ok", c.readLine());
            c.line("MAIL FROM:<>");
            assertEquals("503 5.5.1 Error: nested MAIL command", c.readLine());
            c.line("DATA");
            assertEquals("503 5.5.1 Error: need RCPT command", c.readLine());
            c.line("RCPT TO:<>");
            assertEquals("501 5.1.3 Bad recipient address syntax", c.readLine());
            c.line("RSET");
            assertEquals("250 2.0.0 Ok", c.readLine());
            c.line("DATA");
            assertEquals("503 5.5.1 Error: need MAIL command", c.readLine());
            c.line("MAIL FROM: <>"); // a space after the colon is tolerated, as Postfix does
            assertEquals("250 2.1.0 Ok", c.readLine());
            c.line("QUIT");
            assertEquals("221 2.0.0 Bye", c.readLine());
        }
    }

    /** A client that talks before the delayed greeting is a bot (postscreen's pregreet test). */
    @Test
    void greetingDelayCatchesEarlyTalkers() throws Exception {
        try (RawClient c = RawClient.connect(proxy.port("slow"))) {
            c.line("EHLO bot.example");
            assertEquals("503 5.5.0 Improper use of SMTP command pipelining", c.readLine());
            assertTrue(c.closedByPeer());
        }
        try (RawClient c = RawClient.connect(proxy.port("slow"))) {
            assertEquals("220 proxy.test ESMTP ready", c.readLine());
            c.line("EHLO patient.example");
            expectLines(c, EHLO_SUBMISSION);
        }
    }

    @Test
    void idleClientGets421() throws Exception {
        try (TestProxy p = TestProxy.start("""
                mailproxy {
                  server-name = "proxy.test"
                  limits { timeout = 1s }
                  backends { b1 { host = "127.0.0.1", smtp { port = 9, auth = plain } } }
                  routers { r { type = static, default = b1 } }
                  listeners = [ { name = sub, protocol = smtp, listen = "127.0.0.1:0" } ]
                }
                """);
             RawClient c = RawClient.connect(p.port("sub"))) {
            assertEquals("220 proxy.test ESMTP ready", c.readLine());
            assertEquals("421 4.4.2 proxy.test Error: timeout exceeded", c.readLine());
            assertTrue(c.closedByPeer());
        }
    }
}
