package mailproxy.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import mailproxy.testing.LogCapture;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;

/** The startup line names each listener as the audit line, /sessions and the metrics do (README, "Configuration"). */
class ListenerNameLogTest {

    @Test
    void theStartupLineNamesTheListenerGivenOrDefault() throws Exception {
        try (LogCapture log = new LogCapture();
             TestProxy proxy = TestProxy.start("""
                     mailproxy {
                       backends { b { host = "127.0.0.1", imap { port = 9 }, pop3 { port = 9 } } }
                       routers { r { type = static, default = b } }
                       listeners = [ { name = office, protocol = imap, listen = "127.0.0.1:0" },
                                     { protocol = pop3, listen = "127.0.0.1:0" } ]
                     }
                     """)) {
            log.awaitLine(Duration.ofSeconds(5), "imap listening on 127.0.0.1:" + proxy.port("office") + " (listener office)");
            String pop3 = log.awaitLine(Duration.ofSeconds(5), "pop3 listening on 127.0.0.1:");
            assertTrue(pop3.endsWith("(listener pop3-1)"), pop3);
        }
    }
}
