package mailproxy.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mailproxy.testing.FreePorts;
import mailproxy.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo as a newcomer meets it: started (in this JVM, on free ports), then every
 * command it prints is run as printed with bash and curl, and what they print is checked.
 */
class DemoTest {
    /** What one printed command printed, and its exit code. */
    record Run(String command, int exit, String out) {}

    static Run run(String command) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("did not finish in 30 s: " + command);
        }
        return new Run(command, p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** The commands after "$ ", in the order printed. */
    static List<String> commands(String instructions) {
        List<String> out = new ArrayList<>();
        for (String line : instructions.split("\n")) {
            String t = line.strip();
            if (t.startsWith("$ ")) out.add(t.substring(2));
        }
        return out;
    }

    @Test
    void everyPrintedCommandWorksAsPrinted(@TempDir Path dir) throws Exception {
        int[] p = FreePorts.allocate(4);
        Demo.quietStores();
        try (LogCapture log = new LogCapture();
             Demo demo = Demo.start(new Demo.Ports(p[0], p[1], p[2], p[3]), dir)) {
            String text = demo.instructions();
            List<String> cmds = commands(text);
            assertEquals(13, cmds.size(), text);
            assertTrue(cmds.get(0).startsWith("curl ") && cmds.get(0).contains("imap://127.0.0.1:" + p[0]),
                    "the first command fetches a message over IMAP: " + cmds.get(0));

            Run first = run(cmds.get(0));
            assertEquals(0, first.exit(), first.toString());
            assertTrue(first.out().contains("Subject: Welcome, alice"), first.out());
            assertTrue(first.out().contains("mailproxy's pool sent you there"), first.out());

            Run list = run(cmds.get(1));
            assertEquals(0, list.exit(), list.toString());
            assertTrue(list.out().matches("(?s)1 \\d+\r?\n2 \\d+\r?\n"), list.out());

            Run retr = run(cmds.get(2));
            assertTrue(retr.exit() == 0 && retr.out().contains("Subject: Welcome, bob"), retr.toString());

            Run send = run(cmds.get(3));
            assertEquals(0, send.exit(), send.toString());
            Run search = run(cmds.get(4));
            assertEquals(0, search.exit(), search.toString());
            assertTrue(search.out().startsWith("* SEARCH 3"), "the sent message is alice's third: " + search.out());

            Run wrong = run(cmds.get(5));
            assertEquals(67, wrong.exit(), "curl's 'login denied': " + wrong);

            assertTrue(cmds.get(6).startsWith("curl telnet://127.0.0.1:" + p[0]), "the raw session: " + cmds.get(6));

            Run metrics = run(cmds.get(7));
            assertTrue(metrics.out().contains("mailproxy_logins_total{listener=\"imap\",mechanism=\"plain\",protocol=\"imap\",result=\"success\"} 2.0"),
                    metrics.out());
            assertTrue(metrics.out().contains("mailproxy_logins_total{listener=\"imap\",mechanism=\"plain\",protocol=\"imap\",result=\"failed\"} 1.0"),
                    metrics.out());
            assertEquals(0, run(cmds.get(8)).exit());
            assertEquals("ready\n", run(cmds.get(9)).out());
            Run drain = run(cmds.get(10));
            assertTrue(drain.out().matches("draining stores 127\\.0\\.0\\.1:\\d+ \\(until the next reload\\)\n"), drain.toString());
            assertTrue(run(cmds.get(11)).out().contains(" DRAINING"), "the pool shows it");
            assertEquals("reloaded\n", run(cmds.get(12)).out());
            assertFalse(run(cmds.get(11)).out().contains(" DRAINING"), "a reload ends the drain");

            log.awaitLine(Duration.ofSeconds(5), " audit - ", "user=alice", "result=failed", "reason=backend-refused");
            log.awaitLine(Duration.ofSeconds(5), " trace - ", "client C: A001 CAPABILITY");
            log.awaitLine(Duration.ofSeconds(5), " trace - ", "backend C: USER bob");
            log.awaitLine(Duration.ofSeconds(5), " trace - ", "backend C: PASS ***");
            String all = log.text();
            for (String secret : List.of("alice-pw", "bob-pw", b64("\0alice\0alice-pw"), b64("\0bob\0bob-pw"))) {
                assertFalse(all.contains(secret), "a secret in the log: " + secret);
            }
            Files.writeString(dir.resolve("demo-log.txt"), all);
        }
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.ISO_8859_1));
    }
}
