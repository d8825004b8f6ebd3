package mailproxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** --import-nginx as an admin runs it: a separate JVM, stdout, stderr and the exit status. */
@Timeout(120)
class ImportNginxCommandLineTest {
    record Run(int exit, String out, String err) {}

    private static Run run(Path dir, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), "mailproxy.Main"));
        cmd.addAll(List.of(args));
        Path out = dir.resolve("stdout");
        Path err = dir.resolve("stderr");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private static final String MAIL = """
            mail {
                server_name mail.example.test;
                auth_http   127.0.0.1:9000/auth;
                %s
                server {
                    listen   127.0.0.1:1143;
                    protocol imap;
                }
            }
            """;

    /** nginx.conf in {@code dir}: the mail block with {@code directives} in its server. */
    private static Path mailConf(Path dir, String directives) throws Exception {
        Path nginx = dir.resolve("nginx.conf");
        Files.writeString(nginx, MAIL.formatted(directives));
        return nginx;
    }

    @Test
    void everythingTranslatedExitsZeroAndTheOutputChecksValid(@TempDir Path dir) throws Exception {
        Path nginx = mailConf(dir, "");
        Run r = run(dir, "--import-nginx", nginx.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().contains("listen = [\"127.0.0.1:1143\"]"), r.out());
        Path conf = dir.resolve("mailproxy.conf");
        Files.writeString(conf, r.out());
        Run check = run(dir, "--check", "--config", conf.toString());
        assertEquals(0, check.exit(), check.out() + check.err());
    }

    @Test
    void somethingUntranslatedExitsThreeNamingItOnStderrAndOnTop(@TempDir Path dir) throws Exception {
        Path nginx = mailConf(dir, "ssl_ciphers HIGH:!aNULL;");
        Run r = run(dir, "--import-nginx", nginx.toString());
        assertEquals(3, r.exit());
        assertTrue(r.err().startsWith("mailproxy: not translated: " + nginx + ":4: ssl_ciphers HIGH:!aNULL: "), r.err());
        assertTrue(r.out().contains("#   " + nginx + ":4: ssl_ciphers HIGH:!aNULL: "), r.out());
        assertTrue(r.out().contains("mailproxy {"), "the best config is still printed: " + r.out());
    }

    @Test
    void anUnparsableFileExitsOneWithFileAndLine(@TempDir Path dir) throws Exception {
        Path nginx = mailConf(dir, "timeout 5s }");
        Run r = run(dir, "--import-nginx", nginx.toString());
        assertEquals(1, r.exit());
        assertEquals("", r.out());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains(nginx + ":4: unexpected \"}\""), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        Run missing = run(dir, "--import-nginx", dir.resolve("missing.conf").toString());
        assertEquals(1, missing.exit());
    }

    @Test
    void usageErrorsExitTwo(@TempDir Path dir) throws Exception {
        assertEquals(2, run(dir, "--import-nginx").exit());
        assertEquals(2, run(dir, "--import-nginx", "a.conf", "--check").exit());
        assertTrue(run(dir, "--help").out().contains("--import-nginx FILE"));
    }
}
