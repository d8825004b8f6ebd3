package mailproxy.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mailproxy.testing.Await;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.RealServers;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.SimpleConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy as config/mailproxy.service runs it: a user without privileges (here
 * "nobody"), no new privileges, CAP_NET_BIND_SERVICE as its one ambient and bounding
 * capability. With it, the JVM binds a port below 1024 and serves a login; without it,
 * the same user cannot bind that port and the proxy says so and exits 1. Both run the
 * proxy's main class from a copy the user can read (ReadableProxy). The unit itself,
 * under systemd: SystemdServiceTest.
 */
class UnprivilegedLowPortTest {
    private static final String SETPRIV = "/usr/bin/setpriv";
    private static final String USER = "nobody";
    /** The capabilities the unit grants; the bounding set too, as CapabilityBoundingSet= does. */
    private static final List<String> CAPABILITY = List.of("--inh-caps=+net_bind_service",
            "--ambient-caps=+net_bind_service", "--bounding-set=-all,+net_bind_service");
    /** CAP_NET_BIND_SERVICE is capability 10 (linux/capability.h). */
    private static final long NET_BIND_SERVICE_MASK = 1L << 10;

    @BeforeAll
    static void setpriv() throws Exception {
        RealServers.requireTool(SETPRIV);
        // /proc/self belongs to this process's effective user; setpriv needs root to switch
        assertEquals(0, Files.getAttribute(Path.of("/proc/self"), "unix:uid"), "this test switches users: it needs root (as on CI)");
        // a kernel that lets anyone bind low ports could not tell the two runs apart
        int unprivilegedStart;
        // one read: a sysctl file answers a second read at an offset with end of file (and
        // Files.readString would read one byte first, the size of a /proc file being 0)
        try (var in = Files.newInputStream(Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start"))) {
            unprivilegedStart = Integer.parseInt(new String(in.readNBytes(32), java.nio.charset.StandardCharsets.US_ASCII).strip());
        }
        assertTrue(unprivilegedStart > 700, "net.ipv4.ip_unprivileged_port_start is " + unprivilegedStart);
    }

    private static Process start(Path dir, String classPath, List<String> capabilities, Path config, Path output) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(SETPRIV, "--reuid=" + USER, "--regid=nogroup", "--clear-groups", "--no-new-privs"));
        cmd.addAll(capabilities);
        String java = ProcessHandle.current().info().command().orElseThrow();
        cmd.addAll(List.of(java, "-XX:-UsePerfData", "-cp", classPath, "mailproxy.Main", "--config", config.toString()));
        return new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy(); // SIGTERM: the proxy drains and exits
        if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    /** "Uid:" and "CapEff:" of /proc/PID/status: the real uid and the effective capabilities. */
    private static String status(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith(field + ":")) return line.substring(field.length() + 1).strip();
        }
        throw new AssertionError(field + " not in /proc/" + pid + "/status");
    }

    @Test
    void withTheCapabilityAnUnprivilegedProxyServesALoginOnALowPort(@TempDir Path dir) throws Exception {
        String classPath = ReadableProxy.classPath(dir);
        int port = ReadableProxy.lowPort();
        try (FakeBackend imap = FakeBackends.imap().password("secret").start()) {
            Path config = dir.resolve("mailproxy.conf");
            Files.writeString(config, SimpleConfig.oneListener("imap", imap.port(), port) + """
                    mailproxy.guard { max-connections-per-ip = 0, max-sessions-per-user = 0, auth-delay = 0s, block-after = 0 }
                    """);
            Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
            Path output = dir.resolve("proxy.out");
            Process p = start(dir, classPath, CAPABILITY, config, output);
            try {
                String listening = "imap listening on 127.0.0.1:" + port;
                assertTrue(Await.until(Duration.ofSeconds(60), () -> read(output).contains(listening) || !p.isAlive()),
                        "the proxy did not start: " + read(output));
                assertTrue(p.isAlive(), read(output));
                assertEquals("65534\t65534\t65534\t65534", status(p.pid(), "Uid"), "runs as " + USER + ", not root");
                assertEquals(NET_BIND_SERVICE_MASK, Long.parseLong(status(p.pid(), "CapEff"), 16), "CAP_NET_BIND_SERVICE and nothing else");
                AliceLogin.loginAndLogout(port);
            } finally {
                stop(p);
            }
        }
    }

    @Test
    void withoutTheCapabilityTheSameUserCannotBindIt(@TempDir Path dir) throws Exception {
        String classPath = ReadableProxy.classPath(dir);
        int port = ReadableProxy.lowPort();
        Path config = dir.resolve("mailproxy.conf");
        Files.writeString(config, SimpleConfig.oneListener("imap", 9, port));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
        Path output = dir.resolve("proxy.out");
        Process p = start(dir, classPath, List.of("--bounding-set=-all"), config, output);
        try {
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running: " + read(output));
            assertEquals(1, p.exitValue(), read(output));
            assertTrue(read(output).contains("mailproxy: cannot listen on 127.0.0.1:" + port + " (imap): Permission denied"), read(output));
        } finally {
            stop(p);
        }
    }
}
