package mailproxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** `--config jdk.conf`, a bare name in the directory the admin is in, with an include beside it. */
@Timeout(60)
class IncludeCommandLineTest {

    @Test
    void anIncludeBesideABareConfigNameIsRead(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("common.conf"), """
                mailproxy {
                  backends { b { host = "127.0.0.1", imap { port = 143 } } }
                  routers { r { type = static, default = b } }
                }
                """);
        Files.writeString(dir.resolve("jdk.conf"), """
                include "common.conf"
                mailproxy {
                  default-router = r
                  listeners = [ { protocol = imap, listen = "127.0.0.1:0" } ]
                }
                """);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"), "mailproxy.Main",
                "--check", "--config", "jdk.conf")).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(50, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("jdk.conf is valid (1 listeners, 1 backends, 1 routers)"), out);
    }
}
