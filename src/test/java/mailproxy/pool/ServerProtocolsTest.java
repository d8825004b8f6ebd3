package mailproxy.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A pool where only one server runs POP3 (README "Backend pools": servers[i].protocols):
 * the configuration is valid, IMAP logins spread over both servers, POP3 logins go only to
 * the server that serves POP3. That --check takes it: mailproxy.CheckDescribeTest.
 */
@Timeout(60)
class ServerProtocolsTest {
    /** Both servers on 127.0.0.1: without protocols = [imap], the first would be 127.0.0.1:&lt;pop3 port&gt; too. */
    static String backends(int imapA, int imapB, int pop3B) {
        return """
                  backends {
                    stores {
                      servers = [ { host = "127.0.0.1", imap-port = %d, protocols = [imap] },
                                  { host = "127.0.0.1", imap-port = %d } ]
                      imap { port = 143, balance = round-robin }
                      pop3 { port = %d }
                      health { interval = 0s }
                    }
                  }
                  routers { r { type = static, default = stores } }
                """.formatted(imapA, imapB, pop3B);
    }

    @Test
    void imapLoginsSpreadOnBothAndPop3LoginsGoOnlyToTheServerThatServesIt() throws Exception {
        try (FakeBackend imapA = FakeBackends.imap().start();
             FakeBackend imapB = FakeBackends.imap().start();
             FakeBackend pop3B = FakeBackends.pop3().start();
             TestProxy p = TestProxy.start("mailproxy {\n" + backends(imapA.port(), imapB.port(), pop3B.port()) + """
                       listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0", router = r },
                                     { name = pop3, protocol = pop3, listen = "127.0.0.1:0", router = r } ]
                     }""")) {
            for (int i = 0; i < 4; i++) {
                try (RawClient c = RawClient.connect(p.port("imap"))) {
                    c.expect("* OK");
                    // C: a LOGIN user<i> pw     S: a OK (from whichever server round-robin picked)
                    c.exchange("a LOGIN user" + i + " pw", "a OK");
                }
                try (RawClient c = RawClient.connect(p.port("pop3"))) {
                    c.expect("+OK");
                    c.exchange("USER user" + i, "+OK", "PASS pw", "+OK");
                }
            }
            assertEquals(2, imapA.accepted(), "round-robin: half the IMAP logins on the server without POP3");
            assertEquals(2, imapB.accepted(), "the other half on the one with both");
            assertEquals(4, pop3B.accepted(), "every POP3 login on the one server that serves POP3");
        }
    }
}
