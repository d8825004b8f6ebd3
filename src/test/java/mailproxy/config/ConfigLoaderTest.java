package mailproxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A wrong key, type or value stops startup with one message naming the key and the file. */
class ConfigLoaderTest {
    private static final String BACKENDS = """
            backends { store { host = "127.0.0.1", pop3 { port = 110 }, imap { port = 143, send-id = true } } }
            routers { local { type = static, default = store, users { "Bob@Example.org" = store } } }
            """;

    private static String config(String body) {
        return "mailproxy {\n" + BACKENDS + body + "\n}\n";
    }

    private static String error(String body) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parse(config(body), "my.conf")).getMessage();
    }

    @Test
    void exampleConfigIsValid() {
        ProxyConfig c = ConfigLoader.load(Path.of("config/mailproxy.conf"));
        assertTrue(c.listeners().size() >= 1);
    }

    @Test
    void defaultsComeFromReferenceConf() {
        ProxyConfig c = ConfigLoader.parse(config("listeners = [ { protocol = pop3, listen = \"127.0.0.1:0\" } ]"), "my.conf");
        assertEquals(Duration.ofHours(24), c.limits().proxyTimeout());
        assertEquals(Duration.ofSeconds(60), c.limits().timeout());
        assertEquals(5, c.limits().maxErrors());
        assertEquals(Duration.ofMinutes(5), c.limits().loginLifetime());
        assertEquals("local", c.listeners().get(0).router(), "the only router is the default");
        assertEquals("store", ((RouterConfig.Static) c.routers().get("local")).users().get("bob@example.org"));
        assertTrue(c.backends().get("store").imap().sendId());
    }

    @Test
    void misspeltKeyIsNamedWithFileAndLine() {
        String m = error("limits { proxy-timout = 5m }");
        assertTrue(m.contains("mailproxy.limits.proxy-timout"), m);
        assertTrue(m.contains("my.conf:"), m);
        assertTrue(m.contains("unknown key"), m);
    }

    @Test
    void wrongTypeSaysWhatIsExpected() {
        String m = error("max-connections = lots");
        assertTrue(m.contains("mailproxy.max-connections") && m.contains("whole number"), m);
    }

    @Test
    void badDuration() {
        String m = error("limits { timeout = soon }");
        assertTrue(m.contains("mailproxy.limits.timeout") && m.contains("duration"), m);
    }

    @Test
    void loginLifetimeIsOffOrAtLeastASecond() {
        String m = error("limits { login-lifetime = 500ms }");
        assertTrue(m.contains("mailproxy.limits.login-lifetime") && m.contains("at least 1s") && m.contains("my.conf"), m);
        ProxyConfig off = ConfigLoader.parse(config("limits { login-lifetime = 0s }\n"
                + "listeners = [ { protocol = pop3, listen = \"127.0.0.1:0\" } ]"), "my.conf");
        assertEquals(Duration.ZERO, off.limits().loginLifetime());
    }

    @Test
    void unknownProtocolListsTheChoices() {
        String m = error("listeners = [ { protocol = nntp, listen = \"127.0.0.1:0\" } ]");
        assertTrue(m.contains("mailproxy.listeners[0].protocol") && m.contains("imap, pop3, smtp"), m);
    }

    @Test
    void badListenAddress() {
        String m = error("listeners = [ { protocol = pop3, listen = \"127.0.0.1:99999\" } ]");
        assertTrue(m.contains("listeners[0].listen"), m);
    }

    @Test
    void routerNamingAMissingBackend() {
        String m = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
                mailproxy {
                  backends { a { host = x, pop3 { } } }
                  routers { r { type = static, default = b } }
                }""", "my.conf")).getMessage();
        assertTrue(m.contains("mailproxy.routers.r.default") && m.contains("no backend named 'b'"), m);
    }

    @Test
    void listenerNamingAMissingRouter() {
        String m = error("listeners = [ { protocol = pop3, listen = \"127.0.0.1:0\", router = nope } ]");
        assertTrue(m.contains("listeners[0].router") && m.contains("nope"), m);
    }

    /** A listener's name labels its metrics, audit lines and admin entries: two alike would be one. */
    @Test
    void twoListenersOfOneNameAreRefused() {
        String m = error("""
                listeners = [ { name = mail, protocol = pop3, listen = "127.0.0.1:0" },
                              { name = mail, protocol = imap, listen = "127.0.0.1:0" } ]""");
        assertTrue(m.contains("listeners[1].name") && m.contains("mail") && m.contains("my.conf"), m);
    }

    @Test
    void unknownMechanism() {
        String m = error("listeners = [ { protocol = pop3, listen = \"127.0.0.1:0\", auth = [plain, kerberos] } ]");
        assertTrue(m.contains("listeners[0].auth") && m.contains("kerberos"), m);
    }

    @Test
    void unknownKeyInABackendSection() {
        String m = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
                mailproxy { backends { a { host = x, pop3 { prot = 1 } } } }""", "my.conf")).getMessage();
        assertTrue(m.contains("mailproxy.backends.a.pop3.prot"), m);
    }

    @Test
    void syntaxErrorNamesTheFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("broken.conf");
        Files.writeString(f, "mailproxy { limits { timeout = 5s }\n");
        String m = assertThrows(ConfigException.class, () -> ConfigLoader.load(f)).getMessage();
        assertTrue(m.contains("broken.conf"), m);
    }

    @Test
    void missingFile() {
        String m = assertThrows(ConfigException.class, () -> ConfigLoader.load(Path.of("/nonexistent/x.conf"))).getMessage();
        assertTrue(m.contains("/nonexistent/x.conf"), m);
    }

    @Test
    void ipv6AndWildcardAddresses() {
        ProxyConfig c = ConfigLoader.parse(config(
                "listeners = [ { protocol = pop3, listen = [\"[::1]:0\", \"*:0\", \"127.0.0.1:0\"] } ]"), "my.conf");
        assertEquals(3, c.listeners().get(0).addresses().size());
        assertTrue(c.listeners().get(0).addresses().get(0).getAddress() instanceof java.net.Inet6Address);
    }
}
