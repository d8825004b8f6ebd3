package mailproxy.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

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

/** SIGHUP to a running mailproxy (a separate JVM, as an admin runs it) re-reads its config file. */
@Timeout(90)
class SighupTest {

    private static String config(int port, String serverName) {
        return """
                mailproxy {
                  server-name = "%s"
                  drain-timeout = 1s
                  backends { b { host = "127.0.0.1", pop3 { port = 9 } } }
                  routers { r { type = static, default = b } }
                  listeners = [ { name = pop3, protocol = pop3, listen = "127.0.0.1:%d" } ]
                }""".formatted(serverName, port);
    }

    private static String greeting(int port, Process p) throws Exception {
        return Await.retrying(Duration.ofSeconds(15), Duration.ofMillis(50), () -> {
            if (!p.isAlive()) throw new IllegalStateException("mailproxy exited");
            try (RawClient c = RawClient.connect(port)) {
                return c.expect("+OK");
            }
        });
    }

    private static void hangup(Process p) throws Exception {
        assertTrue(new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor() == 0);
    }

    private static boolean awaitLog(Path log, String needle) throws Exception {
        return Await.value(Duration.ofSeconds(10), Duration.ofMillis(50), () -> Files.readString(log).contains(needle) ? true : null) != null;
    }

    /** The JVM's command line, started by sh with SIGHUP ignored, as nohup leaves it (SigIgn 0x1). */
    private static Process startedWithHangupIgnored(Path conf, Path log, String... jvmOptions) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        StringBuilder cmd = new StringBuilder("trap '' HUP; exec '" + java + "'");
        for (String o : jvmOptions) cmd.append(' ').append(o);
        cmd.append(" -cp '").append(System.getProperty("java.class.path")).append("' mailproxy.Main --config '")
                .append(conf).append("'");
        return new ProcessBuilder("sh", "-c", cmd.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static String ignoredSignals(Process p) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
            if (line.startsWith("SigIgn:")) return line;
        }
        return "?";
    }

    @Test
    void startedUnderNohupSighupStillReloads(@TempDir Path dir) throws Exception {
        int port = FreePorts.allocate(1)[0];
        Path conf = dir.resolve("p.conf");
        Path log = dir.resolve("log");
        Files.writeString(conf, config(port, "before.example"));
        Process p = startedWithHangupIgnored(conf, log, "--enable-native-access=ALL-UNNAMED");
        try {
            assertTrue(greeting(port, p).contains("before.example"));
            Files.writeString(conf, config(port, "after.example"));
            hangup(p);
            assertTrue(awaitLog(log, "reloaded"), ignoredSignals(p) + "\n" + Files.readString(log));
            assertTrue(greeting(port, p).contains("after.example"), "the new server-name greets");
        } finally {
            stop(p);
        }
    }

    /** Where the JVM may not call libc (native access denied), startup says that SIGHUP will not reload, and what will. */
    @Test
    void whenSighupCannotBeTakenBackStartupSaysSoAndNamesTheAdminReload(@TempDir Path dir) throws Exception {
        int port = FreePorts.allocate(1)[0];
        Path conf = dir.resolve("p.conf");
        Path log = dir.resolve("log");
        Files.writeString(conf, config(port, "before.example"));
        Process p = startedWithHangupIgnored(conf, log, "--illegal-native-access=deny");
        try {
            assertTrue(greeting(port, p).contains("before.example"));
            String text = Files.readString(log);
            assertTrue(text.contains("kill -HUP will NOT reload") && text.contains("POST /reload"), text);
        } finally {
            stop(p);
        }
    }

    @Test
    void aValidFileIsTakenAndABrokenOneRefusedWhileTheOldConfigRuns(@TempDir Path dir) throws Exception {
        int port = FreePorts.allocate(1)[0];
        Path conf = dir.resolve("p.conf");
        Path log = dir.resolve("log");
        Files.writeString(conf, config(port, "before.example"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"), "mailproxy.Main",
                "--config", conf.toString())).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertTrue(greeting(port, p).contains("before.example"));
            Files.writeString(conf, config(port, "after.example"));
            hangup(p);
            assertTrue(awaitLog(log, "reloaded"), Files.readString(log));
            assertTrue(greeting(port, p).contains("after.example"), "the new server-name greets");
            Files.writeString(conf, config(port, "broken.example").replace("drain-timeout = 1s", "drain-timeout = soon"));
            hangup(p);
            assertTrue(awaitLog(log, "reload refused"), Files.readString(log));
            String text = Files.readString(log);
            assertTrue(text.contains(conf + ":3") && text.contains("mailproxy.drain-timeout"), text);
            assertTrue(greeting(port, p).contains("after.example"), "the running config stays");
        } finally {
            stop(p);
        }
    }

    /** SIGTERM, and after 10 s SIGKILL. */
    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
    }
}
