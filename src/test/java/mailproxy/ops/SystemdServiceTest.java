package mailproxy.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * config/mailproxy.service run by a real systemd: systemd-nspawn boots this host's own
 * /usr as a container (--volatile=yes: an empty /etc in memory), with the unit, the
 * sysusers file, a config and the proxy bound in where the README's layout puts them, on
 * the host's network. So the unit's sandbox (seccomp filter, capabilities, read-only
 * system, ...) is the one the JVM really runs in. The story: the unit starts the proxy as
 * "mailproxy" with CAP_NET_BIND_SERVICE only, it serves a login on a port below 1024,
 * `systemctl reload` takes a new listener and refuses a broken file (the proxy goes on),
 * and `systemctl stop` ends it as a success.
 */
class SystemdServiceTest {
    private static final String NSPAWN = "/usr/bin/systemd-nspawn";
    private static final String NSENTER = "/usr/bin/nsenter";
    private static final long NET_BIND_SERVICE_MASK = 1L << 10;

    @BeforeAll
    static void tools() throws Exception {
        RealServers.requireTool(NSPAWN);
        RealServers.requireTool(NSENTER);
        assertEquals(0, Files.getAttribute(Path.of("/proc/self"), "unix:uid"), "systemd-nspawn needs root (as on CI)");
    }

    private static String config(int backend, int... ports) {
        StringBuilder listeners = new StringBuilder();
        for (int p : ports) listeners.append("{ name = imap").append(p).append(", protocol = imap, listen = \"127.0.0.1:").append(p).append("\" }\n");
        return """
                mailproxy {
                  guard { max-connections-per-ip = 0, max-sessions-per-user = 0, auth-delay = 0s, block-after = 0 }
                  backends { store { host = "127.0.0.1", imap { port = %d } } }
                  routers { r { type = static, default = store } }
                  listeners = [ %s ]
                }
                """.formatted(backend, listeners);
    }

    private static Path readableDir(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    private static void writeReadable(Path file, String text) throws IOException {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A field of /proc/PID/status. */
    private static String status(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith(field + ":")) return line.substring(field.length() + 1).strip();
        }
        throw new AssertionError(field + " not in /proc/" + pid + "/status");
    }

    /** A running container: its systemd (PID 1 inside), and commands run in its namespaces. */
    private record Container(Process nspawn, long init, Path dir) {
        /** The unit is active (a failed job may leave it activating for a moment). */
        boolean active() {
            try {
                return run("systemctl", "is-active", "mailproxy").output().strip().equals("active");
            } catch (IOException e) {
                return false;
            }
        }

        OpsFiles.Run run(String... cmd) throws IOException {
            List<String> all = new ArrayList<>(List.of(NSENTER, "-t", Long.toString(init), "-m", "-p", "-u", "-i"));
            all.addAll(List.of(cmd));
            return OpsFiles.run(dir, all.toArray(String[]::new));
        }

        String journal() throws IOException {
            return run("journalctl", "-u", "mailproxy", "--no-pager").output();
        }

        /** For a failure message: the unit's journal, else what systemd-nspawn said. */
        String journalOr(Path nspawnOutput) {
            try {
                return nspawn.isAlive() ? journal() : Files.readString(nspawnOutput);
            } catch (IOException e) {
                return e.toString();
            }
        }
    }

    /** The container's systemd (its PID 1, seen from here), or 0 before it runs. */
    private static long init(Process nspawn) {
        return nspawn.descendants().filter(h -> h.info().command().orElse("").endsWith("/systemd"))
                .mapToLong(ProcessHandle::pid).findFirst().orElse(0);
    }

    @Test
    void theUnitRunsTheProxyAsItsUserWithOneCapability(@TempDir Path tmp) throws Exception {
        Path root = readableDir(tmp.resolve("c"));
        Path opt = readableDir(root.resolve("opt"));
        ReadableProxy.jar(opt);
        Path launcher = opt.resolve("mailproxy");
        Files.copy(OpsFiles.project().resolve("src/main/sh/mailproxy"), launcher);
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path etc = readableDir(root.resolve("etc"));
        Path wants = readableDir(root.resolve("wants"));
        Files.createSymbolicLink(wants.resolve("mailproxy.service"), Path.of("/etc/systemd/system/mailproxy.service"));
        int port = ReadableProxy.lowPort();
        int added = ReadableProxy.lowPort(port);
        try (FakeBackend imap = FakeBackends.imap().password("secret").start()) {
            writeReadable(etc.resolve("mailproxy.conf"), config(imap.port(), port));
            String machine = "mailproxy-test-" + ProcessHandle.current().pid();
            Path output = root.resolve("nspawn.out");
            Process nspawn = new ProcessBuilder(NSPAWN, "--directory=/", "--volatile=yes", "--register=no", "--keep-unit",
                    "--machine=" + machine, "--console=passive", "--boot",
                    "--bind-ro=" + opt + ":/opt/mailproxy",
                    "--bind-ro=" + etc + ":/etc/mailproxy",
                    "--bind-ro=" + OpsFiles.config("mailproxy.service") + ":/etc/systemd/system/mailproxy.service",
                    "--bind-ro=" + OpsFiles.config("mailproxy.sysusers") + ":/etc/sysusers.d/mailproxy.conf",
                    "--bind-ro=" + wants + ":/etc/systemd/system/multi-user.target.wants",
                    // an empty /etc is a first boot, whose wizard would wait for answers on the console
                    "--bind-ro=/dev/null:/etc/systemd/system/systemd-firstboot.service")
                    .redirectErrorStream(true).redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            try {
                assertTrue(Await.until(Duration.ofSeconds(30), () -> init(nspawn) > 0 || !nspawn.isAlive()),
                        "no systemd in the container: " + Files.readString(output));
                Container c = new Container(nspawn, init(nspawn), root);
                boolean up = Await.until(Duration.ofSeconds(90), () -> accepts(port) || !nspawn.isAlive());
                assertTrue(up && nspawn.isAlive(), () -> "the unit did not start the proxy:\n" + c.journalOr(output));
                AliceLogin.loginAndLogout(port);

                // the JVM as systemd started it, seen from the host
                long java = ProcessHandle.of(c.init()).orElseThrow().descendants()
                        .filter(h -> h.info().command().orElse("").endsWith("/bin/java")).findFirst().orElseThrow().pid();
                String uid = c.run("id", "-u", "mailproxy").output().strip();
                assertEquals(uid + "\t" + uid + "\t" + uid + "\t" + uid, status(java, "Uid"), "runs as the user mailproxy");
                assertNotEquals("0", uid);
                assertEquals(NET_BIND_SERVICE_MASK, Long.parseLong(status(java, "CapEff"), 16));
                assertEquals(NET_BIND_SERVICE_MASK, Long.parseLong(status(java, "CapBnd"), 16));
                assertEquals("1", status(java, "NoNewPrivs"));
                assertEquals("2", status(java, "Seccomp"), "a system call filter");

                // a reload takes a new listener
                writeReadable(etc.resolve("mailproxy.conf"), config(imap.port(), port, added));
                OpsFiles.Run reload = c.run("systemctl", "reload", "mailproxy");
                assertEquals(0, reload.exit(), reload + c.journal());
                assertTrue(Await.until(Duration.ofSeconds(30), () -> accepts(added)), c.journal());
                AliceLogin.loginAndLogout(added);

                // a broken file: the reload fails, says why, and the proxy goes on as it was
                writeReadable(etc.resolve("mailproxy.conf"), "mailproxy { no-such-key = 1 }\n");
                OpsFiles.Run broken = c.run("systemctl", "reload", "mailproxy");
                assertNotEquals(0, broken.exit(), broken + c.journal());
                assertTrue(c.journal().contains("no-such-key"), c.journal());
                // systemd may still be settling the failed reload job on a loaded machine: the unit
                // must come back to active (not failed, not restarted) by itself
                assertTrue(Await.until(Duration.ofSeconds(30),
                        c::active), c.journal());
                AliceLogin.loginAndLogout(port);

                // stop: SIGTERM, the drain, exit 143, which the unit counts as a success
                OpsFiles.Run stop = c.run("systemctl", "stop", "mailproxy");
                assertEquals(0, stop.exit(), stop.toString());
                assertEquals("Result=success\nExecMainStatus=143",
                        c.run("systemctl", "show", "mailproxy", "--property=Result,ExecMainStatus").output().strip(), c.journal());
                assertTrue(!accepts(port), "stopped");
            } finally {
                nspawn.destroy(); // SIGTERM: the container powers off
                if (!nspawn.waitFor(60, TimeUnit.SECONDS)) nspawn.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
