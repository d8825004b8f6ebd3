package mailproxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** mailproxy.admin's defenses (docs/SECURITY.md): hosts, token-file, and the token with allow-remote. */
class AdminConfigTest {
    /** Distinctive, so scan-test-output.sh finds it should it ever be printed. */
    private static final String TOKEN = "adm1n-T0ken-Wq8zR3vN5kLp";

    private static ProxyConfig read(String admin) {
        return ConfigLoader.parse("mailproxy { admin { " + admin + " } }\n", "my.conf");
    }

    private static Path tokenFile(Path dir, String content, String permissions) throws Exception {
        Path f = dir.resolve("token");
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(permissions));
        return f;
    }

    private static String error(String admin) {
        String m = assertThrows(ConfigException.class, () -> read(admin)).getMessage();
        assertFalse(m.contains(TOKEN), "an error never shows the token: " + m);
        return m;
    }

    @Test
    void defaultsHaveNoTokenAndNoExtraHosts() {
        AdminConfig a = read("listen = \"127.0.0.1:9090\"").admin();
        assertNull(a.token());
        assertEquals(Set.of("127.0.0.1"), a.hosts(), "the listen address's host is one");
    }

    @Test
    void hostsAreReadAsTheHostCheckComparesThem() {
        AdminConfig a = read("listen = \"localhost:9090\", hosts = [\"Admin.Example.ORG.\", \"[2001:DB8::1]\", \"192.0.2.7\"]").admin();
        assertEquals(Set.of("admin.example.org", "2001:db8:0:0:0:0:0:1", "192.0.2.7", "localhost"), a.hosts());
    }

    @ParameterizedTest
    @ValueSource(strings = {"admin.example.org:9090", "http://admin.example.org", "a b", "", "-x.example", "[::1", "a..b"})
    void aBadHostNamesTheKey(String host) {
        String m = error("hosts = [\"" + host + "\"]");
        assertTrue(m.startsWith("config error in my.conf") && m.contains("mailproxy.admin.hosts:"), m);
    }

    @Test
    void theTokenIsReadAndNeverShown(@TempDir Path dir) throws Exception {
        Path f = tokenFile(dir, TOKEN + "\n", "rw-r-----");
        AdminConfig a = read("listen = \"*:9090\", allow-remote = true, token-file = \"" + f + "\"").admin();
        assertEquals(TOKEN, a.token());
        assertTrue(a.on());
        assertFalse(a.toString().contains(TOKEN), a.toString());
    }

    @Test
    void aRemoteListenerNeedsAToken() {
        String m = error("listen = \"*:9090\", allow-remote = true");
        assertTrue(m.contains("mailproxy.admin.token-file:") && m.contains("allow-remote"), m);
    }

    @Test
    void aBadTokenFileStopsTheStartNamingTheKeyAndTheFile(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("no-such-token");
        assertTokenFileError(missing, "cannot read");
        assertTokenFileError(tokenFile(dir, "\n", "rw-------"), "is empty");
        assertTokenFileError(tokenFile(dir, TOKEN + "\n", "rw-r--r--"), "readable by every user");
        assertTokenFileError(tokenFile(dir, "short\n", "rw-------"), "shorter than 16");
        assertTokenFileError(tokenFile(dir, TOKEN + " " + TOKEN + "\n", "rw-------"), "more than one word");
        assertTokenFileError(tokenFile(dir, "x".repeat(5000), "rw-------"), "larger than");
    }

    private static void assertTokenFileError(Path file, String why) {
        String m = error("listen = \"127.0.0.1:9090\", token-file = \"" + file + "\"");
        assertTrue(m.contains("mailproxy.admin.token-file:") && m.contains(file.toString()) && m.contains(why), m);
    }
}
