package mailproxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mailproxy.testing.Await;
import mailproxy.testing.FreePorts;
import mailproxy.testing.RawClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The command line as an admin uses it: a separate JVM, exit codes, SIGTERM. */
@Timeout(120)
class CommandLineTest {
    record Run(int exit, String output) {}

    private static ProcessBuilder mailproxy(String... args) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), "mailproxy.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true);
    }

    private static Run run(String... args) throws Exception {
        Process p = mailproxy(args).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Run(p.exitValue(), out);
    }

    @Test
    void versionAndHelp() throws Exception {
        Run v = run("--version");
        assertEquals(0, v.exit());
        assertTrue(v.output().startsWith("mailproxy "), v.output());
        Run h = run("--help");
        assertEquals(0, h.exit());
        assertTrue(h.output().contains("--config FILE") && h.output().contains("--check"), h.output());
        Run bad = run("--frobnicate");
        assertEquals(2, bad.exit());
        assertTrue(bad.output().contains("unknown argument"), bad.output());
    }

    @Test
    void checkValidatesTheExampleConfig() throws Exception {
        Run r = run("--check", "--config", "config/mailproxy.conf");
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("is valid"), r.output());
    }

    @Test
    void aWrongKeyStopsStartupWithOneLineNamingKeyAndFile(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("bad.conf");
        Files.writeString(conf, "mailproxy {\n  limits {\n    timeout = forever\n  }\n}\n");
        Run r = run("--config", conf.toString());
        assertEquals(1, r.exit());
        assertTrue(r.output().contains(conf + ":3") && r.output().contains("mailproxy.limits.timeout"), r.output());
        assertFalse(r.output().contains("\tat "), "no stack trace: " + r.output());
    }

    @Test
    void sigtermDrainsOpenSessionsThenExits(@TempDir Path dir) throws Exception {
        int port = FreePorts.allocate(1)[0];
        Path conf = dir.resolve("p.conf");
        Files.writeString(conf, """
                mailproxy {
                  drain-timeout = 3s
                  backends { b { host = "127.0.0.1", pop3 { port = 9 } } }
                  routers { r { type = static, default = b } }
                  listeners = [ { name = pop3, protocol = pop3, listen = "127.0.0.1:%d" } ]
                }""".formatted(port));
        Process proxy = mailproxy("--config", conf.toString()).redirectOutput(dir.resolve("log").toFile()).start();
        try {
            RawClient c = connectWhenUp(port, proxy);
            c.expect("+OK");
            proxy.destroy(); // SIGTERM
            Await.pause(Duration.ofMillis(500)); // a while in which a proxy that did not drain would exit
            assertTrue(proxy.isAlive(), "still draining");
            c.line("NOOP");
            c.expect("+OK"); // the open session is still served
            assertRefused(port);
            assertTrue(proxy.waitFor(15, TimeUnit.SECONDS), "exits after the drain timeout");
            assertTrue(c.closedByPeer());
            String log = Files.readString(dir.resolve("log"));
            assertTrue(log.contains("draining 1 sessions"), log);
        } finally {
            proxy.destroyForcibly();
        }
    }

    private static void assertRefused(int port) {
        try (RawClient late = RawClient.connect(port)) {
            throw new AssertionError("a new connection was accepted while draining");
        } catch (IOException expected) {
            // refused: the listener is closed
        }
    }

    private static RawClient connectWhenUp(int port, Process p) throws Exception {
        return Await.retrying(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
            if (!p.isAlive()) throw new IllegalStateException("proxy died");
            return RawClient.connect(port);
        });
    }
}
