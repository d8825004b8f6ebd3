package mailproxy.smtp;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.List;
import java.util.stream.Stream;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pre-auth dialogue as raw C:/S: transcripts (RFC 5321, 4954, 2920): what the proxy
 * answers by itself before any backend is involved.
 */
@Timeout(30)
class SmtpDialogueTest {
    private static TestProxy proxy;

    /** EHLO on the submission listener and the whole reply. */
    static final String EHLO_SUBMISSION = """
            C: EHLO client.example
            S: 250-proxy.test
            S: 250-PIPELINING
            S: 250-SIZE
            S: 250-8BITMIME
            S: 250-ENHANCEDSTATUSCODES
            S: 250 AUTH PLAIN LOGIN
            """;

    /** EHLO on the MX listener (smtp-size = 1000, no AUTH) and the whole reply. */
    static final String EHLO_MX = """
            C: EHLO client.example
            S: 250-proxy.test
            S: 250-PIPELINING
            S: 250-SIZE 1000
            S: 250-8BITMIME
            S: 250 ENHANCEDSTATUSCODES
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

    /** One connection to a listener, greeted, and what is said on it. */
    record Talk(String listener, String transcript) {}

    /** Dialogues, each on one or more connections. */
    static Stream<Arguments> dialogues() {
        return Stream.of(
                arguments("greetingEhloAndQuit", List.of(new Talk("sub", EHLO_SUBMISSION + """
                        C: QUIT
                        S: 221 2.0.0 Bye
                        S closes
                        """))),
                arguments("ehloNeverOffersChunkingAndHonoursSizeAndMechanisms", List.of(
                        // verbs are case-insensitive (RFC 5321 §2.4)
                        new Talk("mx", EHLO_MX.replace("C: EHLO", "C: ehlo")),
                        new Talk("nosize", """
                                C: EHLO client.example
                                S: 250-proxy.test
                                S: 250-PIPELINING
                                S: 250-8BITMIME
                                S: 250-ENHANCEDSTATUSCODES
                                S: 250 AUTH PLAIN
                                """))),
                arguments("heloNoopRsetVrfy", List.of(new Talk("sub", """
                        C: HELO client.example
                        S: 250 proxy.test
                        C: NOOP
                        S: 250 2.0.0 Ok
                        C: NOOP with a string
                        S: 250 2.0.0 Ok
                        C: RSET
                        S: 250 2.0.0 Ok
                        C: VRFY bob
                        S: 530 5.7.0 Authentication required
                        C: QUIT
                        S: 221 2.0.0 Bye
                        """))),
                arguments("submissionWantsAuthBeforeMail", List.of(new Talk("sub", EHLO_SUBMISSION + """
                        C: MAIL FROM:<bob@example.test>
                        S: 530 5.7.0 Authentication required
                        C: RCPT TO:<alice@example.test>
                        S: 530 5.7.0 Authentication required
                        C: DATA
                        S: 530 5.7.0 Authentication required
                        """))),
                arguments("authNeedsEhloAndAKnownMechanism", List.of(new Talk("sub", """
                        C: AUTH PLAIN AGJvYgBzZWNyZXQ=
                        S: 503 5.5.1 Error: send HELO/EHLO first
                        """ + EHLO_SUBMISSION + """
                        C: AUTH CRAM-MD5
                        S: 504 5.5.4 Unrecognized authentication type
                        C: AUTH
                        S: 501 5.5.4 Syntax: AUTH mechanism [initial-response]
                        C: AUTH PLAIN a b
                        S: 501 5.5.4 Syntax: AUTH mechanism [initial-response]
                        """))),
                // RFC 4954 §4: "*" cancels an exchange with 501; bad base64 gets 501 5.5.2
                arguments("authCancelAndUndecodable", List.of(new Talk("sub", EHLO_SUBMISSION + """
                        C: AUTH PLAIN
                        S: 334\s
                        C: *
                        S: 501 5.7.0 Authentication cancelled
                        C: AUTH LOGIN
                        S: 334 VXNlcm5hbWU6
                        C: *
                        S: 501 5.7.0 Authentication cancelled
                        # initial response = user name: straight to Password:
                        C: auth login Ym9i
                        S: 334 UGFzc3dvcmQ6
                        C: *
                        S: 501 5.7.0 Authentication cancelled
                        C: AUTH PLAIN !!notbase64!!
                        S: 501 5.5.2 Cannot decode authentication data
                        C: AUTH PLAIN
                        S: 334\s
                        # "bob": not authzid NUL user NUL password
                        C: Ym9i
                        S: 501 5.5.2 Cannot decode authentication data
                        C: NOOP
                        S: 250 2.0.0 Ok
                        """))),
                arguments("overlongLineGets500AndClose", List.of(
                        new Talk("sub", """
                                C: NOOP %s
                                S: 500 5.5.2 Error: line too long
                                S closes
                                """.formatted("x".repeat(9000))),
                        new Talk("sub", EHLO_SUBMISSION + """
                                C: AUTH PLAIN
                                S: 334\s
                                C: %s
                                S: 500 5.5.6 Authentication exchange line is too long
                                S closes
                                """.formatted("A".repeat(9000))))),
                arguments("mxDialogueBeforeTheFirstRecipient", List.of(
                        new Talk("mx", """
                                C: MAIL FROM:<a@remote.example>
                                S: 503 5.5.1 Error: send HELO/EHLO first
                                C: HELO client.example
                                S: 250 proxy.test
                                C: AUTH PLAIN AGJvYgBzZWNyZXQ=
                                S: 503 5.5.1 Error: authentication not enabled
                                C: RCPT TO:<bob@example.test>
                                S: 503 5.5.1 Error: need MAIL command
                                C: VRFY bob
                                S: 252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery
                                C: MAIL FROM:<a@remote.example> SIZE=2000
                                S: 552 5.3.4 Message size exceeds fixed maximum message size
                                C: MAIL FROM:<a@remote.example
                                S: 501 5.1.7 Bad sender address syntax
                                C: MAIL TO:<a@remote.example>
                                S: 501 5.5.4 Syntax: MAIL FROM:<address>
                                C: QUIT
                                S: 221 2.0.0 Bye
                                """),
                        new Talk("mx", EHLO_MX + """
                                C: MAIL FROM:<a@remote.example> SIZE=900
                                S: 250 2.1.0 Ok
                                C: MAIL FROM:<>
                                S: 503 5.5.1 Error: nested MAIL command
                                C: DATA
                                S: 503 5.5.1 Error: need RCPT command
                                C: RCPT TO:<>
                                S: 501 5.1.3 Bad recipient address syntax
                                C: RSET
                                S: 250 2.0.0 Ok
                                C: DATA
                                S: 503 5.5.1 Error: need MAIL command
                                # a space after the colon is tolerated, as Postfix does
                                C: MAIL FROM: <>
                                S: 250 2.1.0 Ok
                                C: QUIT
                                S: 221 2.0.0 Bye
                                """))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dialogues")
    void dialogue(String name, List<Talk> talks) {
        assertAll(name, () -> { // a failure names its case
            for (Talk t : talks) {
                try (RawClient c = connect(t.listener())) {
                    c.transcript(t.transcript());
                }
            }
        });
    }

    @Test
    void badInput() throws Exception {
        try (RawClient c = connect("sub")) {
            c.transcript("""
                    # never from a client
                    C: XCLIENT ADDR=192.0.2.1
                    S: 500 5.5.2 Error: command not recognized
                    C:
                    S: 500 5.5.2 Error: bad syntax
                    C: NOOP\0x
                    S: 500 5.5.2 Error: bad syntax
                    C: NO\rOP
                    S: 500 5.5.2 Error: bad syntax
                    C: EHLO
                    S: 501 5.5.4 Syntax: EHLO hostname
                    C: BDAT 10 LAST
                    S: 502 5.5.1 Error: command not implemented
                    C: STARTTLS
                    S: 502 5.5.1 Error: command not implemented
                    """);
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
            c.transcript("""
                    S: 421 4.7.0 proxy.test Error: too many errors
                    S closes
                    """);
        }
    }

    /** RFC 2920: a whole group in one write, every reply in order. */
    @Test
    void pipelinedCommandsAreAnsweredInOrder() throws Exception {
        try (RawClient c = connect("sub")) {
            c.send("EHLO client.example\r\nNOOP\r\nMAIL FROM:<bob@example.test>\r\nRSET\r\nFOO\r\nHELO again.example\r\nQUIT\r\n");
            // the EHLO reply as the transcript has it, the command already sent
            c.transcript(EHLO_SUBMISSION.replace("C: EHLO client.example\n", "") + """
                    S: 250 2.0.0 Ok
                    S: 530 5.7.0 Authentication required
                    S: 250 2.0.0 Ok
                    S: 500 5.5.2 Error: command not recognized
                    S: 250 proxy.test
                    S: 221 2.0.0 Bye
                    S closes
                    """);
        }
    }

    /** A client that talks before the delayed greeting is a bot (postscreen's pregreet test). */
    @Test
    void greetingDelayCatchesEarlyTalkers() throws Exception {
        try (RawClient c = RawClient.connect(proxy.port("slow"))) {
            c.transcript("""
                    C: EHLO bot.example
                    S: 503 5.5.0 Improper use of SMTP command pipelining
                    S closes
                    """);
        }
        try (RawClient c = RawClient.connect(proxy.port("slow"))) {
            c.transcript("S: 220 proxy.test ESMTP ready\n" + EHLO_SUBMISSION.replace("client.example", "patient.example"));
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
            c.transcript("""
                    S: 220 proxy.test ESMTP ready
                    S: 421 4.4.2 proxy.test Error: timeout exceeded
                    S closes
                    """);
        }
    }
}
