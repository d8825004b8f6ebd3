package mailproxy.admin;

import static mailproxy.admin.AdminCurl.ADMIN_HEADER;
import static mailproxy.admin.AdminCurl.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import mailproxy.admin.AdminCurl.Answer;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The admin listener against a web page the operator happens to open (docs/SECURITY.md):
 * a page may POST a form to http://127.0.0.1:9090 (CSRF), and a page on a name it rebinds
 * to 127.0.0.1 may read the answers (DNS rebinding). Each attack is sent as the browser
 * would send it, with curl; each gets 403 and changes nothing. The operator's own requests
 * (curl, Prometheus, a load balancer's health check) still work.
 */
class AdminSecurityTest {
    private static final String ATTACKER = "https://evil.example";

    private static String config(int imap, String adminKeys) {
        return """
                mailproxy {
                  admin { listen = "127.0.0.1:0" %s }
                  backends { store { host = "127.0.0.1", imap { port = %d } } }
                  routers { r { type = static, default = store } }
                  listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0" } ]
                }
                """.formatted(adminKeys, imap);
    }

    /** How each attack reaches the admin listener: curl's arguments, after the method. */
    static Stream<Arguments> crossSiteRequests() {
        return Stream.of(
                Arguments.of("a form posted by a foreign page", List.of("-H", "Origin: " + ATTACKER, "-H", "Sec-Fetch-Site: cross-site",
                        "--data", "")),
                Arguments.of("a POST without the admin header", List.of()),
                Arguments.of("the admin header from a foreign Origin", List.of("-H", ADMIN_HEADER, "-H", "Origin: " + ATTACKER)),
                Arguments.of("the admin header from an opaque Origin", List.of("-H", ADMIN_HEADER, "-H", "Origin: null")),
                Arguments.of("the admin header, Sec-Fetch-Site cross-site", List.of("-H", ADMIN_HEADER, "-H", "Sec-Fetch-Site: cross-site")),
                Arguments.of("the admin header, Sec-Fetch-Site same-site", List.of("-H", ADMIN_HEADER, "-H", "Sec-Fetch-Site: same-site")),
                Arguments.of("a name rebound to 127.0.0.1", List.of("-H", ADMIN_HEADER, "-H", "Host: rebind.evil.example")),
                Arguments.of("a name rebound to 127.0.0.1, with the port", List.of("-H", ADMIN_HEADER, "-H", "Host: rebind.evil.example:9090")),
                Arguments.of("another address", List.of("-H", ADMIN_HEADER, "-H", "Host: 192.0.2.7")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("crossSiteRequests")
    void aCrossSiteOrRebindingPostIsRefusedAndChangesNothing(String attack, List<String> args) throws Exception {
        AtomicInteger reloads = new AtomicInteger();
        try (FakeBackend imap = FakeBackends.imap().password("secret").start();
             TestProxy proxy = TestProxy.start(config(imap.port(), ""));
             AdminServer admin = AdminServer.start(proxy.config().admin(), proxy::server, () -> reloads.incrementAndGet() > 0);
             RawClient alice = RawClient.connect(proxy.port("imap"))) {
            alice.expect("* OK");
            alice.line("a LOGIN alice secret");
            alice.expect("a OK");
            String[] a = args.toArray(String[]::new);
            for (String path : List.of("/trace?client=0.0.0.0/0", "/trace?user=alice", "/drain?server=127.0.0.1:" + imap.port(),
                    "/close?user=alice", "/reload", "/move?user=alice", "/drain?server=127.0.0.1:" + imap.port() + "&kick-after=0s")) {
                Answer r = call(admin, "POST", path, a);
                assertEquals(403, r.status(), attack + ": POST " + path + " -> " + r);
                assertEquals("nosniff", r.header("X-Content-Type-Options"), r.toString());
            }
            assertEquals("", proxy.server().trace().describe(), attack + ": nothing is traced");
            assertEquals(0, reloads.get(), attack + ": no reload");
            assertFalse(proxy.server().describePools().contains("DRAINING"), attack + ": " + proxy.server().describePools());
            alice.line("n NOOP");
            alice.expect("n OK");
        }
    }

    @Test
    void aRebindingPageCannotReadWhatTheListenerServes() throws Exception {
        try (FakeBackend imap = FakeBackends.imap().password("secret").start();
             TestProxy proxy = TestProxy.start(config(imap.port(), ""));
             AdminServer admin = AdminServer.start(proxy.config().admin(), proxy::server, () -> true);
             RawClient alice = RawClient.connect(proxy.port("imap"))) {
            alice.expect("* OK");
            alice.line("a LOGIN alice secret");
            alice.expect("a OK");
            for (String path : List.of("/sessions", "/metrics", "/pools", "/trace", "/health/ready", "/users")) {
                Answer r = call(admin, "GET", path, "-H", "Host: rebind.evil.example:" + admin.address().getPort());
                assertEquals(403, r.status(), "GET " + path + " -> " + r);
                assertFalse(r.body().contains("alice") || r.body().contains("127.0.0.1"), r.body());
                Answer o = call(admin, "GET", path, "-H", "Origin: " + ATTACKER);
                assertEquals(403, o.status(), "GET " + path + " from a foreign Origin -> " + o);
            }
        }
    }

    @Test
    void aCorsPreflightIsRefusedAndGrantsNothing() throws Exception {
        try (FakeBackend imap = FakeBackends.imap().password("secret").start();
             TestProxy proxy = TestProxy.start(config(imap.port(), ""));
             AdminServer admin = AdminServer.start(proxy.config().admin(), proxy::server, () -> true)) {
            Answer r = call(admin, "OPTIONS", "/trace?client=0.0.0.0/0", "-H", "Origin: " + ATTACKER,
                    "-H", "Access-Control-Request-Method: POST", "-H", "Access-Control-Request-Headers: x-mailproxy-admin");
            assertEquals(403, r.status(), r.toString());
            assertTrue(r.headers().keySet().stream().noneMatch(h -> h.startsWith("access-control-")), r.toString());
            Answer plain = call(admin, "OPTIONS", "/sessions");
            assertEquals(403, plain.status(), plain.toString());
            assertTrue(plain.headers().keySet().stream().noneMatch(h -> h.startsWith("access-control-")), plain.toString());
            assertEquals("", proxy.server().trace().describe());
        }
    }

    @Test
    void theOperatorsOwnRequestsStillWorkAndGetNeverChangesState() throws Exception {
        try (FakeBackend imap = FakeBackends.imap().password("secret").start();
             TestProxy proxy = TestProxy.start(config(imap.port(), ", hosts = [\"Admin.Example.ORG\"]"));
             AdminServer admin = AdminServer.start(proxy.config().admin(), proxy::server, () -> true)) {
            int port = admin.address().getPort();
            Answer plain = call(admin, "GET", "/sessions");
            assertEquals(200, plain.status(), plain.toString());
            assertEquals("nosniff", plain.header("X-Content-Type-Options"));
            assertEquals("no-store", plain.header("Cache-Control"));
            for (String host : List.of("127.0.0.1:" + port, "localhost:" + port, "LOCALHOST", "[::1]:" + port, "127.0.0.2",
                    "admin.example.org:" + port, "admin.example.org.")) {
                Answer r = call(admin, "GET", "/health/ready", "-H", "Host: " + host);
                assertEquals(200, r.status(), "Host: " + host + " -> " + r);
            }
            // a URL typed in the browser's address bar, and the listener's own origin
            assertEquals(200, call(admin, "GET", "/metrics", "-H", "Sec-Fetch-Site: none").status());
            Answer same = call(admin, "POST", "/trace?client=10.0.0.0/8", "-H", ADMIN_HEADER,
                    "-H", "Origin: http://127.0.0.1:" + port, "-H", "Sec-Fetch-Site: same-origin");
            assertEquals(200, same.status(), same.toString());
            assertEquals("client 10.0.0.0/8 (admin)\n", same.body());
            assertEquals("nosniff", same.header("X-Content-Type-Options"));
            // GET only looks: a link or an <img> can make a browser GET anything
            assertEquals("client 10.0.0.0/8 (admin)\n", call(admin, "GET", "/trace?client=0.0.0.0/0&on=true").body());
            assertEquals(405, call(admin, "GET", "/drain?server=127.0.0.1:" + imap.port()).status());
            assertEquals("client 10.0.0.0/8 (admin)\n", proxy.server().trace().describe());
            assertFalse(proxy.server().describePools().contains("DRAINING"));
            Answer drain = call(admin, "POST", "/drain?server=127.0.0.1:" + imap.port(), "-H", ADMIN_HEADER);
            assertEquals(200, drain.status(), drain.toString());
            assertTrue(proxy.server().describePools().contains("DRAINING"), proxy.server().describePools());
            // moving users: GET only looks, POST moves
            assertEquals(405, call(admin, "GET", "/move?user=alice").status());
            assertEquals(405, call(admin, "POST", "/users", "-H", ADMIN_HEADER).status());
            assertEquals(400, call(admin, "POST", "/move?user=alice&kick-after=soon", "-H", ADMIN_HEADER).status());
            Answer moved = call(admin, "POST", "/move?user=alice", "-H", ADMIN_HEADER);
            assertEquals(200, moved.status(), moved.toString());
            assertEquals(200, call(admin, "GET", "/users?limit=5").status());
            assertEquals(404, call(admin, "GET", "/users?server=192.0.2.1:143").status());
            Answer refused = call(admin, "GET", "/nope", "-H", "Host: rebind.evil.example");
            assertEquals("nosniff", refused.header("X-Content-Type-Options"), "a refusal has it too");
        }
    }

    /** A token distinctive enough for scan-test-output.sh (known-test-passwords.txt). */
    static final String TOKEN = "adm1n-T0ken-Wq8zR3vN5kLp";

    @Test
    void withATokenEveryRequestButTheHealthChecksAndThePagesFilesNeedsIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("admin-token");
        Files.writeString(file, TOKEN + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        String bearer = "Authorization: Bearer " + TOKEN;
        String wrong = "Authorization: Bearer " + TOKEN.substring(0, TOKEN.length() - 1) + "x";
        try (LogCapture log = new LogCapture();
             FakeBackend imap = FakeBackends.imap().password("secret").start();
             TestProxy proxy = TestProxy.start(config(imap.port(), ", token-file = \"" + file + "\""));
             AdminServer admin = AdminServer.start(proxy.config().admin(), proxy::server, () -> true)) {
            assertFalse(proxy.config().admin().toString().contains(TOKEN), "the config's text hides the token");
            for (String[] args : List.of(new String[0], new String[] {"-H", wrong}, new String[] {"-H", "Authorization: Basic "
                    + TOKEN}, new String[] {"-H", "Authorization: Bearer"})) {
                Answer r = call(admin, "GET", "/sessions", args);
                assertEquals(401, r.status(), List.of(args) + " -> " + r);
                assertEquals("Bearer realm=\"mailproxy admin\"", r.header("WWW-Authenticate"));
            }
            Answer post = call(admin, "POST", "/trace?client=0.0.0.0/0", "-H", ADMIN_HEADER, "-H", wrong);
            assertEquals(401, post.status(), post.toString());
            assertEquals("", proxy.server().trace().describe());
            assertEquals(200, call(admin, "GET", "/sessions", "-H", bearer).status());
            // a bearer token is something no foreign page has: it stands for the admin header
            Answer ok = call(admin, "POST", "/trace?client=10.0.0.0/8", "-H", bearer);
            assertEquals(200, ok.status(), ok.toString());
            // the token does not lift the cross-site rules
            assertEquals(403, call(admin, "POST", "/trace?client=0.0.0.0/0", "-H", bearer, "-H", "Origin: " + ATTACKER).status());
            assertEquals(403, call(admin, "GET", "/sessions", "-H", bearer, "-H", "Host: rebind.evil.example").status());
            assertEquals("client 10.0.0.0/8 (admin)\n", proxy.server().trace().describe());
            // a load balancer's health check has no token
            assertEquals(200, call(admin, "GET", "/health/live").status());
            assertEquals(200, call(admin, "GET", "/health/ready").status());
            assertNull(call(admin, "GET", "/health/ready").header("WWW-Authenticate"));
            // the status page's own files hold no data: a browser loads them without the token,
            // and the page asks for it before it fetches anything
            for (String page : List.of("/", "/status.js", "/status.css")) {
                assertEquals(200, call(admin, "GET", page).status(), page);
            }
            assertEquals(401, call(admin, "GET", "/status").status());
            assertEquals(401, call(admin, "GET", "/metrics").status());
            assertEquals(401, call(admin, "POST", "/drain?server=x", "-H", ADMIN_HEADER).status());
            assertFalse(log.text().contains(TOKEN), "the token is never logged");
            assertFalse(log.text().contains(TOKEN.substring(0, TOKEN.length() - 1)), "nor a wrong one");
        }
    }
}
