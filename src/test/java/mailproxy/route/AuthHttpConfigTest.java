package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import mailproxy.config.ConfigException;
import mailproxy.config.ConfigLoader;
import mailproxy.config.ListenerConfig;
import mailproxy.config.Pop3Options;
import mailproxy.config.ProxyConfig;
import mailproxy.config.RouterConfig;
import org.junit.jupiter.api.Test;

/** Choosing static or auth_http per listener, and the startup checks that go with it. */
class AuthHttpConfigTest {
    private static final String BACKENDS = """
            backends { store { host = "127.0.0.1", pop3 { port = 110, xclient = true }, imap { port = 143 } } }
            """;

    private static ProxyConfig parse(String routers, String listeners) {
        return ConfigLoader.parse("mailproxy {\n" + BACKENDS + "\nrouters { " + routers + " }\nlisteners = [ " + listeners
                + " ]\n}", "test.conf");
    }

    private static final String BOTH = """
            local { type = static, default = store }
            auth { type = auth-http, url = "http://127.0.0.1:9000/auth", timeout = 5s,
                   headers {
                     X-Auth-Key = "k"
                     A-Second = "2"
                   }, keepalive = 4, backend-options = store }
            """;

    @Test
    void listenersChooseTheirRouter() {
        ProxyConfig c = parse(BOTH, """
                { name = a, protocol = pop3, listen = "127.0.0.1:0", router = local }
                { name = b, protocol = pop3, listen = "127.0.0.1:0", router = auth, auth = [plain, cram-md5], pop3-apop = true }
                """);
        assertEquals("local", c.listeners().get(0).router());
        ListenerConfig b = c.listeners().get(1);
        assertEquals("auth", b.router());
        assertTrue(b.options(Pop3Options.class).apop());
        assertTrue(b.offers("CRAM-MD5"));
        RouterConfig.AuthHttp a = assertInstanceOf(RouterConfig.AuthHttp.class, c.routers().get("auth"));
        assertEquals(Duration.ofSeconds(5), a.timeout());
        assertEquals(4, a.keepAlive());
        assertEquals("store", a.backendTemplate());
        assertEquals(List.of("X-Auth-Key", "A-Second"), List.copyOf(a.headers().keySet()), "file order kept");
        Map<String, Router> routers = Routers.build(c, Pools.build(c, null));
        assertInstanceOf(AuthHttpRouter.class, routers.get("auth"));
        assertInstanceOf(StaticRouter.class, routers.get("local"));
    }

    @Test
    void defaultRouterAppliesToListenersThatNameNone() {
        ProxyConfig c = ConfigLoader.parse("mailproxy {\n" + BACKENDS + "\nrouters { " + BOTH + " }\ndefault-router = auth\n"
                + "listeners = [ { protocol = pop3, listen = \"127.0.0.1:0\", auth = [cram-md5] } ] }", "test.conf");
        assertEquals("auth", c.listeners().get(0).router());
        RouterConfig.AuthHttp a = assertInstanceOf(RouterConfig.AuthHttp.class,
                ConfigLoader.parse("mailproxy { routers { x { type = auth-http, url = \"http://h/\" } } }", "t").routers().get("x"));
        assertEquals(Duration.ofSeconds(60), a.timeout(), "nginx's auth_http_timeout default");
        assertEquals(16, a.keepAlive());
    }

    @Test
    void digestMechanismsOnAStaticRouterFailAtStartupNamingTheKey() {
        ConfigException cram = assertThrows(ConfigException.class, () -> parse(BOTH,
                "{ protocol = imap, listen = \"127.0.0.1:0\", router = local, auth = [plain, cram-md5] }"));
        assertTrue(cram.getMessage().contains("mailproxy.listeners[0].auth"), cram.getMessage());
        assertTrue(cram.getMessage().contains("cram-md5 needs an auth-http router"), cram.getMessage());
        ConfigException apop = assertThrows(ConfigException.class, () -> parse(BOTH,
                "{ protocol = pop3, listen = \"127.0.0.1:0\", router = local, pop3-apop = true }"));
        assertTrue(apop.getMessage().contains("mailproxy.listeners[0].pop3-apop"), apop.getMessage());
        // pop3-apop means nothing to an IMAP listener (it may come from listener-defaults)
        assertFalse(parse(BOTH, "{ protocol = imap, listen = \"127.0.0.1:0\", router = local, pop3-apop = true }")
                .listeners().get(0).options() instanceof Pop3Options);
    }

    @Test
    void badExtraHeadersFailAtStartup() {
        ConfigException name = assertThrows(ConfigException.class, () -> parse(
                "a { type = auth-http, url = \"http://h/\", headers { \"X Bad\" = v } }", ""));
        assertTrue(name.getMessage().contains("headers"), name.getMessage());
        ConfigException value = assertThrows(ConfigException.class, () -> parse(
                "a { type = auth-http, url = \"http://h/\", headers { X-Ok = \"a\\r\\nX-Evil: 1\" } }", ""));
        assertTrue(value.getMessage().contains("control character"), value.getMessage());
    }

    @Test
    void exampleConfigShowsBothRouterKinds() {
        ProxyConfig c = ConfigLoader.load(Path.of("config/mailproxy.conf"));
        assertTrue(c.routers().values().stream().anyMatch(r -> r instanceof RouterConfig.Static));
        assertTrue(c.routers().values().stream().anyMatch(r -> r instanceof RouterConfig.AuthHttp));
        assertTrue(c.listeners().stream().anyMatch(l -> c.routers().get(l.router()) instanceof RouterConfig.AuthHttp));
        assertTrue(c.listeners().stream().anyMatch(l -> c.routers().get(l.router()) instanceof RouterConfig.Static));
    }
}
