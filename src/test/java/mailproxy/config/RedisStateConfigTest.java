package mailproxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import mailproxy.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * mailproxy.state.redis carries a password: no config error, and no text made of the
 * config, may show it (issue 19, item 11). Redis over TLS: rediss:// and redis-ca-file.
 */
class RedisStateConfigTest {
    /** Listed in src/test/resources/known-test-passwords.txt: the output scan catches it anywhere. */
    private static final String PASSWORD = "Redis-Pw-7fQ2";

    private static GuardConfig read(String state) {
        return ConfigLoader.parse("mailproxy { state { " + state + " } }", "my.conf").guard();
    }

    private static String error(String state) {
        return assertThrows(ConfigException.class, () -> read(state)).getMessage();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "redis = \"http://mailproxy:" + PASSWORD + "@127.0.0.1:6379\"",
        "redis = \"redis://mailproxy:" + PASSWORD + "@127.0.0.1:6379/x\"",
        "redis = \"redis://mailproxy:" + PASSWORD + " @127.0.0.1:6379\"",
        "redis = \"redis://mailproxy:" + PASSWORD + "@127.0.0.1:6379/0/x\"",
        "redis = \"redis://mailproxy:" + PASSWORD + "@\"",
        "redis = \"mailproxy:" + PASSWORD + "@127.0.0.1:6379\"",
        "redis = [\"redis://mailproxy:" + PASSWORD + "@127.0.0.1:6379\"]",
        "redis = { url = \"redis://mailproxy:" + PASSWORD + "@127.0.0.1:6379\" }",
        "redis = \"redis://mailproxy:" + PASSWORD + "@127.0.0.1:6379\", redis-ca-file = \"/nonexistent/ca.pem\"",
        "redis = \"redis://mailproxy:" + PASSWORD + "@127.0.0.1:6379\", timeout = never",
    })
    void aConfigErrorNeverShowsTheRedisPassword(String state) {
        String m = error(state);
        assertTrue(m.contains("mailproxy.state."), m.replace(PASSWORD, "<the password>"));
        assertFalse(m.contains(PASSWORD), "the password is in: " + m.replace(PASSWORD, "<the password>"));
        assertFalse(m.contains("7fQ2"), "not even a piece of it");
    }

    @Test
    void aBadUrlIsShownWithThePasswordRedacted() {
        String m = error("redis = \"http://mailproxy:" + PASSWORD + "@127.0.0.1:6379\"");
        assertTrue(m.contains("'http://mailproxy:***@127.0.0.1:6379'"), m.replace(PASSWORD, "<the password>"));
        m = error("redis = \"redis://:" + PASSWORD + "@127.0.0.1:63 79\"");
        assertTrue(m.contains("'redis://:***@127.0.0.1:63 79'"), m.replace(PASSWORD, "<the password>"));
    }

    @Test
    void theRecordsTextDoesNotShowThePassword() {
        GuardConfig g = read("redis = \"redis://mailproxy:" + PASSWORD + "@127.0.0.1:6379/2\"");
        assertEquals("redis://mailproxy:" + PASSWORD + "@127.0.0.1:6379/2", g.state().redis(), "the value itself is kept");
        assertFalse(g.toString().contains(PASSWORD), g.toString().replace(PASSWORD, "<the password>"));
        assertTrue(g.state().toString().contains("redis://mailproxy:***@127.0.0.1:6379/2"), g.state().toString());
        assertEquals("redis://mailproxy:***@127.0.0.1:6379/2", GuardConfig.redactUrl(g.state().redis()));
        assertEquals("redis://127.0.0.1:6379", GuardConfig.redactUrl("redis://127.0.0.1:6379"));
        assertEquals("rediss://***@h:1", GuardConfig.redactUrl("rediss://" + PASSWORD + "@h:1"));
        assertEquals("redis://u:***@h", GuardConfig.redactUrl("redis://u:a/b@c@h"), "the last @ ends the user part");
    }

    @Test
    void redissWithAPrivateCa(@TempDir Path dir) throws Exception {
        TestPki.Pair ca = TestPki.in(dir).ca("redis-ca", "/CN=Test Redis CA");
        GuardConfig.State s = read("redis = \"rediss://127.0.0.1:6380\", redis-ca-file = \"" + ca.cert() + "\"").state();
        assertEquals(ca.cert(), s.redisCaFile());
        assertNull(read("redis = \"rediss://127.0.0.1:6380\"").state().redisCaFile(), "the system's CAs");
    }

    @Test
    void aCaFileNeedsRedissAndARealFile(@TempDir Path dir) throws Exception {
        TestPki.Pair ca = TestPki.in(dir).ca("redis-ca", "/CN=Test Redis CA");
        String m = error("redis = \"redis://127.0.0.1:6380\", redis-ca-file = \"" + ca.cert() + "\"");
        assertTrue(m.contains("mailproxy.state.redis-ca-file:") && m.contains("rediss://"), m);
        m = error("redis = \"rediss://127.0.0.1:6380\", redis-ca-file = \"" + ca.key() + "\"");
        assertTrue(m.contains("mailproxy.state.redis-ca-file:"), m);
    }
}
