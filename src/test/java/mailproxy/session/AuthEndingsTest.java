package mailproxy.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.stream.Stream;
import mailproxy.testing.FreePorts;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Input that ends badly inside an AUTH exchange (after the server's challenge) ends the
 * session the same way in all three protocols as between commands: end of input is
 * client-closed, an overlong line and a timeout get the protocol's reply and a close.
 */
@Timeout(30)
class AuthEndingsTest {

    /** A protocol's way into an AUTH PLAIN exchange, and its replies for the endings. */
    record Dialogue(String protocol, String[] before, String auth, String challenge, String lineTooLong, String timeout) {
        @Override
        public String toString() { return protocol; }
    }

    static Stream<Dialogue> protocols() {
        return Stream.of(
                new Dialogue("imap", new String[0], "a AUTHENTICATE PLAIN", "+ ",
                        "* BYE Command line too long", "* BYE Autologout; idle for too long"),
                new Dialogue("pop3", new String[0], "AUTH PLAIN", "+ ",
                        "-ERR Line too long", "-ERR Disconnected for inactivity."),
                new Dialogue("smtp", new String[] {"EHLO client.example"}, "AUTH PLAIN", "334 ",
                        "500 5.5.6 Authentication exchange line is too long", "421 4.4.2 localhost Error: timeout exceeded"));
    }

    static Stream<Arguments> endings() {
        return protocols().flatMap(d -> Stream.of(Arguments.of(d, "eof"), Arguments.of(d, "overlong"), Arguments.of(d, "timeout")));
    }

    private static TestProxy proxy(String protocol) throws Exception {
        return TestProxy.start("""
                mailproxy {
                  limits { timeout = 1s, line-length = 256 }
                  backends { b { host = "127.0.0.1", %1$s { port = %2$d %3$s } } }
                  routers { r { type = static, default = b } }
                  listeners = [ { name = l, protocol = %1$s, listen = "127.0.0.1:0" } ]
                  drain-timeout = 0s
                }""".formatted(protocol, FreePorts.closedPort(), protocol.equals("smtp") ? ", auth = plain" : ""));
    }

    /** Connects, reads the greeting (and EHLO's answer), starts AUTH PLAIN and reads the challenge. */
    private static RawClient inAuth(TestProxy p, Dialogue d) throws Exception {
        RawClient c = RawClient.connect(p.port("l"));
        c.readLine(); // greeting
        for (String line : d.before()) {
            c.line(line);
            String reply;
            do reply = c.readLine(); while (reply.startsWith("250-"));
        }
        c.line(d.auth());
        c.expect(d.challenge());
        return c;
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("endings")
    void anEndingInsideAuthIsTheSameAsBetweenCommands(Dialogue d, String ending) throws Exception {
        try (LogCapture log = new LogCapture(); TestProxy p = proxy(d.protocol()); RawClient c = inAuth(p, d)) {
            String outcome = switch (ending) {
                case "eof" -> {
                    c.socket().shutdownOutput();
                    assertTrue(c.closedByPeer(), "closed after end of input");
                    yield "client-closed";
                }
                case "overlong" -> {
                    c.line("x".repeat(400));
                    assertEquals(d.lineTooLong(), c.readLine());
                    yield "line-too-long";
                }
                default -> {
                    assertEquals(d.timeout(), c.readLine());
                    yield "timeout";
                }
            };
            log.awaitLine(Duration.ofSeconds(5), d.protocol() + " id=", "outcome=" + outcome);
        }
    }
}
