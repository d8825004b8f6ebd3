package mailproxy.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;

/**
 * The status page's files and its JSON as curl sees them (README, "Admin listener: metrics, health, sessions"): a CSP
 * that allows no inline script, nosniff, markup from a user name escaped in /status, and
 * /undrain guarded as every action is (docs/SECURITY.md).
 */
class StatusPageTest {
    private static final String USER = "<b>x</b>&\"q\"";

    private static TestProxy proxy(FakeBackend imap) throws Exception {
        return TestProxy.start("""
                mailproxy {
                  admin { listen = "127.0.0.1:0" }
                  backends { store { servers = [ { host = "127.0.0.1", imap-port = %d } ], imap { port = 143 } } }
                  routers { r { type = static, default = store } }
                  listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0" } ]
                }""".formatted(imap.port()));
    }

    @Test
    void thePageAndItsScriptComeWithACspThatAllowsNoInlineScript() throws Exception {
        try (FakeBackend imap = FakeBackends.imap().start(); TestProxy p = proxy(imap);
             AdminServer admin = AdminServer.start(p.config().admin(), p::server, () -> true)) {
            AdminCurl.Answer page = AdminCurl.call(admin, "GET", "/");
            assertEquals(200, page.status());
            assertEquals("text/html; charset=utf-8", page.header("Content-Type"));
            assertEquals("nosniff", page.header("X-Content-Type-Options"));
            String csp = page.header("Content-Security-Policy");
            assertTrue(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), csp);
            assertFalse(csp.contains("unsafe-inline") || csp.contains("unsafe-eval"), csp);
            assertTrue(page.body().contains("<script src=\"/status.js\""), "the script is a file");
            assertFalse(page.body().matches("(?s).*<script>.*"), "no inline script");
            AdminCurl.Answer js = AdminCurl.call(admin, "GET", "/status.js");
            assertEquals("text/javascript; charset=utf-8", js.header("Content-Type"));
            assertFalse(js.body().contains(".innerHTML ="), "data goes in as text only");
            assertEquals("text/css; charset=utf-8", AdminCurl.call(admin, "GET", "/status.css").header("Content-Type"));
        }
    }

    @Test
    void statusShowsTheServerAndTheSessionWithMarkupEscaped() throws Exception {
        try (FakeBackend imap = FakeBackends.imap().start(); TestProxy p = proxy(imap);
             AdminServer admin = AdminServer.start(p.config().admin(), p::server, () -> true);
             RawClient c = RawClient.connect(p.port("imap"))) {
            c.expect("* OK");
            c.exchange("a LOGIN \"" + USER.replace("\"", "\\\"") + "\" pw", "a OK");
            AdminCurl.Answer s = AdminCurl.call(admin, "GET", "/status");
            assertEquals(200, s.status());
            assertEquals("application/json", s.header("Content-Type"));
            // RFC 8259 §7 escapes, and <, >, & as \\u so no JSON text reads as markup
            assertTrue(s.body().contains("\"user\":\"\\u003cb\\u003ex\\u003c/b\\u003e\\u0026\\\"q\\\"\""), s.body());
            assertTrue(s.body().contains("\"id\":\"127.0.0.1:" + imap.port() + "\""), s.body());
            assertTrue(s.body().contains("\"sessionsBy\":[{\"protocol\":\"imap\",\"listener\":\"imap\",\"count\":1}]"), s.body());
        }
    }

    @Test
    void statusSaysHowTheLastReloadWent() throws Exception {
        try (FakeBackend imap = FakeBackends.imap().start(); TestProxy p = proxy(imap);
             AdminServer admin = AdminServer.start(p.config().admin(), p::server, () -> true)) {
            assertTrue(AdminCurl.call(admin, "GET", "/status").body().contains("\"lastReload\":null"));
            p.server().reload(p.config());
            assertTrue(AdminCurl.call(admin, "GET", "/status").body()
                    .matches("(?s).*\"lastReload\":\\{\"at\":\"[^\"]+\",\"ok\":true,\"message\":\"reloaded test.conf\"}.*"));
            p.server().reloadRefused("config error in test.conf:3: <oops>");
            assertTrue(AdminCurl.call(admin, "GET", "/status").body()
                    .contains("\"ok\":false,\"message\":\"config error in test.conf:3: \\u003coops\\u003e\"}"));
        }
    }

    @Test
    void undrainIsAnActionLikeDrain() throws Exception {
        try (FakeBackend imap = FakeBackends.imap().start(); TestProxy p = proxy(imap);
             AdminServer admin = AdminServer.start(p.config().admin(), p::server, () -> true)) {
            String server = "server=127.0.0.1:" + imap.port();
            assertEquals(403, AdminCurl.call(admin, "POST", "/undrain?" + server).status(), "a POST without the header");
            assertEquals(403, AdminCurl.call(admin, "POST", "/undrain?" + server, "-H", AdminCurl.ADMIN_HEADER,
                    "-H", "Origin: http://evil.example").status(), "cross-origin");
            assertEquals(200, AdminCurl.call(admin, "POST", "/drain?" + server, "-H", AdminCurl.ADMIN_HEADER).status());
            assertTrue(AdminCurl.call(admin, "GET", "/pools").body().contains("DRAINING"));
            AdminCurl.Answer back = AdminCurl.call(admin, "POST", "/undrain?" + server, "-H", AdminCurl.ADMIN_HEADER);
            assertEquals("no longer draining store 127.0.0.1:" + imap.port() + "\n", back.body());
            assertFalse(AdminCurl.call(admin, "GET", "/pools").body().contains("DRAINING"));
            assertEquals(404, AdminCurl.call(admin, "POST", "/undrain?server=127.0.0.1:1", "-H", AdminCurl.ADMIN_HEADER).status());
        }
    }
}
