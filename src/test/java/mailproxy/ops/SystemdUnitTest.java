package mailproxy.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mailproxy.testing.RealServers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * config/mailproxy.service as systemd reads it, without systemd running (a container's
 * PID 1 is not systemd): {@code systemd-analyze verify --root=DIR} against a directory laid
 * out like a host (the unit in /etc/systemd/system, the host's own units, the launcher as
 * /opt/mailproxy/mailproxy: verify wants ExecStart's binary to exist), and
 * {@code systemd-analyze security --offline} for the sandbox. That the capability really
 * is enough to serve on a low port: UnprivilegedLowPortTest.
 */
class SystemdUnitTest {
    private static final String ANALYZE = "/usr/bin/systemd-analyze";
    private static final Path UNIT = OpsFiles.config("mailproxy.service");
    /** systemd-analyze's exposure scale times ten: 2.0 is "OK", 9.6 the bare default. */
    private static final int MAX_EXPOSURE = 20;

    @BeforeAll
    static void systemdAnalyze() throws Exception {
        RealServers.requireTool(ANALYZE);
    }

    /** {@code root} as a host with {@code unit} installed, for verify --root. */
    private static void layOut(Path root, String unit) throws Exception {
        Path units = root.resolve("usr/lib/systemd");
        Files.createDirectories(units);
        OpsFiles.Run copy = OpsFiles.run(root, "cp", "-a", "/usr/lib/systemd/system", units.toString());
        assertEquals(0, copy.exit(), copy.toString());
        Path etc = Files.createDirectories(root.resolve("etc/systemd/system"));
        Files.writeString(etc.resolve("mailproxy.service"), unit);
        Path launcher = Files.createDirectories(root.resolve("opt/mailproxy")).resolve("mailproxy");
        Files.copy(OpsFiles.project().resolve("src/main/sh/mailproxy"), launcher);
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static OpsFiles.Run verify(Path root) throws Exception {
        return OpsFiles.run(root, ANALYZE, "verify", "--man=no", "--generators=no", "--root=" + root, "mailproxy.service");
    }

    @Test
    void systemdFindsNothingToSayAboutTheUnit(@TempDir Path root) throws Exception {
        layOut(root, Files.readString(UNIT));
        OpsFiles.Run r = verify(root);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("", r.output().strip(), "warnings are ignored settings: " + r);
    }

    /** verify only warns (exit 0) about a key it does not know, hence the empty output above. */
    @Test
    void aMisspelledKeyIsCaught(@TempDir Path root) throws Exception {
        String unit = Files.readString(UNIT);
        String misspelled = unit.replace("\nProtectSystem=", "\nProtectSystm=");
        assertNotEquals(unit, misspelled);
        layOut(root, misspelled);
        OpsFiles.Run r = verify(root);
        assertTrue(r.output().contains("Unknown key 'ProtectSystm'"), r.toString());
    }

    @Test
    void theSandboxKeepsTheExposureLow(@TempDir Path dir) throws Exception {
        OpsFiles.Run r = OpsFiles.run(dir, ANALYZE, "security", "--offline=true", "--threshold=" + MAX_EXPOSURE, UNIT.toString());
        assertEquals(0, r.exit(), r.toString());
        // and the same check fails on a unit without the sandbox lines
        String bare = Pattern.compile("(?m)^(Protect|Private|Restrict|SystemCall|LockPersonality|NoNewPrivileges"
                + "|CapabilityBoundingSet|UMask|RemoveIPC)\\S*=.*\\n").matcher(Files.readString(UNIT)).replaceAll("");
        Path weak = dir.resolve("mailproxy.service");
        Files.writeString(weak, bare);
        OpsFiles.Run w = OpsFiles.run(dir, ANALYZE, "security", "--offline=true", "--threshold=" + MAX_EXPOSURE, weak.toString());
        assertNotEquals(0, w.exit(), w.toString());
    }

    private static String setting(String unit, String key) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(key) + "=(.*)$").matcher(unit);
        assertTrue(m.find(), key + " in " + UNIT);
        return m.group(1);
    }

    /** What the proxy needs that systemd cannot check: a descriptor budget, the reload, the JIT. */
    @Test
    void theUnitFitsTheProxy() throws Exception {
        String unit = Files.readString(UNIT);
        Config reference = ConfigFactory.parseResources("reference.conf").getConfig("mailproxy");
        int maxConnections = reference.getInt("max-connections");
        // two descriptors per relayed session (client, backend), plus listeners, routers, jars
        assertTrue(Integer.parseInt(setting(unit, "LimitNOFILE")) >= 2 * maxConnections + 1000, setting(unit, "LimitNOFILE"));
        // systemd waits longer than the drain before it kills
        long drain = reference.getDuration("drain-timeout").toSeconds();
        assertTrue(Integer.parseInt(setting(unit, "TimeoutStopSec").replace("s", "")) > drain, "TimeoutStopSec vs drain-timeout " + drain);
        assertEquals("143", setting(unit, "SuccessExitStatus"), "a JVM ends by SIGTERM with 143");
        assertEquals("mailproxy", setting(unit, "User"));
        assertEquals("CAP_NET_BIND_SERVICE", setting(unit, "AmbientCapabilities"));
        assertEquals("CAP_NET_BIND_SERVICE", setting(unit, "CapabilityBoundingSet"));
        assertEquals("no", setting(unit, "MemoryDenyWriteExecute"), "the JIT writes code it then runs");
        assertEquals("AF_INET AF_INET6 AF_UNIX", setting(unit, "RestrictAddressFamilies"));
        assertEquals("journal", setting(unit, "StandardOutput"));
        assertTrue(unit.contains("\nExecReload=/bin/kill -HUP $MAINPID\n"), "SIGHUP reloads");
        String config = setting(unit, "ExecStart").replaceAll(".* --config ", "");
        assertEquals(List.of("/opt/mailproxy/mailproxy --check --config " + config),
                List.of(setting(unit, "ExecStartPre")), "the same file is checked first");
    }
}
