package mailproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --check prints the pools: policy per protocol, servers with weights and ports. */
class CheckDescribeTest {
    @Test
    void checkDescribesThePools(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("pools.conf");
        Files.writeString(conf, """
                mailproxy {
                  backends {
                    stores {
                      servers = [ { host = "10.0.0.1", weight = 2 }, { host = "10.0.0.2", imap-port = 1143 } ]
                      imap { port = 143 }
                      smtp { port = 25, balance = round-robin }
                    }
                    single { host = "10.0.0.9", pop3 { } }
                  }
                  routers { r { type = static, default = stores } }
                }
                """);
        String text = validCheck(conf);
        assertTrue(text.contains("is valid"), text);
        assertTrue(text.contains("pool stores: imap user-hash, smtp round-robin; max-tries 3; down for 10s after 1 failure in 10s;"
                + " checks every 10s (rise 2, fall 3, timeout 3s)"), text);
        assertTrue(text.contains("  server 10.0.0.1 weight 2 imap 143 smtp 25\n"), text);
        assertTrue(text.contains("  server 10.0.0.2 weight 1 imap 1143 smtp 25\n"), text);
        assertTrue(text.contains("pool single: pop3 user-hash; max-tries 3; down for 10s after 1 failure in 10s; no health checks\n"
                + "  server 10.0.0.9 weight 1 pop3 110\n"), text);
    }

    /** A pool where one server leaves POP3 out (servers[i].protocols): valid, and each server shows what it serves. */
    @Test
    void checkAcceptsAPoolWithPop3OnOneServer(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("pools.conf");
        Files.writeString(conf, """
                mailproxy {
                  backends {
                    stores {
                      servers = [ { host = "127.0.0.1", imap-port = 10143, protocols = [imap] },
                                  { host = "127.0.0.1", imap-port = 20143 } ]
                      imap { port = 143 }
                      pop3 { port = 20110 }
                    }
                  }
                  routers { r { type = static, default = stores } }
                }
                """);
        String text = validCheck(conf);
        assertTrue(text.contains("  server 127.0.0.1 weight 1 imap 10143\n"), text);
        assertTrue(text.contains("  server 127.0.0.1 weight 1 imap 20143 pop3 20110\n"), text);
    }

    /** {@code --check --config conf}: exit 0 (else the test fails with what it printed on stderr); its stdout. */
    private static String validCheck(Path conf) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.run(new String[] {"--check", "--config", conf.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }
}
