package mailproxy.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mailproxy.config.AdminConfig;
import mailproxy.config.ConfigLoader;
import mailproxy.server.ProxyServer;
import mailproxy.testing.Await;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;

/**
 * The admin listener against a proxy with fake backends: counter values after a scripted
 * run, readiness (starting, a drained pool, stopping), the session list and the actions.
 */
class AdminListenerTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static String config(int imap, int pop3, String drain) {
        return """
                mailproxy {
                  drain-timeout = %s
                  admin { listen = "127.0.0.1:0" }
                  backends { store { host = "127.0.0.1", imap { port = %d }, pop3 { port = %d } } }
                  routers { r { type = static, default = store } }
                  listeners = [
                    { name = imap, protocol = imap, listen = "127.0.0.1:0" }
                    { name = pop3, protocol = pop3, listen = "127.0.0.1:0" }
                  ]
                }
                """.formatted(drain, imap, pop3);
    }

    /** (status, body) */
    record Reply(int status, String body) {}

    static Reply call(AdminServer a, String method, String path) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.address().getPort() + path))
                .timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody());
        // what an operator's curl sends with a POST (reference.conf, mailproxy.admin)
        if (!method.equals("GET")) b.header("X-Mailproxy-Admin", "1");
        HttpRequest r = b.build();
        HttpResponse<String> resp = HTTP.send(r, HttpResponse.BodyHandlers.ofString());
        return new Reply(resp.statusCode(), resp.body());
    }

    /** The value of the one sample of {@code name} with exactly these labels ("k=v"). */
    static double sample(String metrics, String name, String... labels) {
        String[] want = labels.clone();
        Arrays.sort(want);
        Pattern p = Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)} (\\S+)$", Pattern.MULTILINE);
        Matcher m = p.matcher(metrics);
        while (m.find()) {
            String[] have = m.group(1).replace("\"", "").split(",");
            Arrays.sort(have);
            if (Arrays.equals(want, have)) return Double.parseDouble(m.group(2));
        }
        throw new AssertionError("no sample " + name + Arrays.toString(labels) + " in\n" + metrics);
    }

    private static void imapSession(int port, String user, String... passwords) throws Exception {
        try (RawClient c = RawClient.connect(port)) {
            c.expect("* OK");
            int i = 0;
            for (String pw : passwords) {
                c.line("a" + i + " LOGIN " + user + " " + pw);
                c.expect(pw.equals("secret") ? "a" + i + " OK" : "a" + i + " NO");
                i++;
            }
            c.line("n NOOP");
            c.expect("n OK");
            c.line("z LOGOUT");
            c.expect("* BYE");
            c.expect("z OK");
        }
    }

    @Test
    void countersHoldTheValuesOfAScriptedRun() throws Exception {
        try (LogCapture log = new LogCapture();
             FakeBackend imap = FakeBackends.imap().password("secret").start();
             FakeBackend pop3 = FakeBackends.pop3().password("secret").start();
             TestProxy proxy = TestProxy.start(config(imap.port(), pop3.port(), "1s"));
             AdminServer admin = AdminServer.start(proxy.config().admin(), proxy::server, () -> true)) {
            imapSession(proxy.port("imap"), "alice", "secret");
            imapSession(proxy.port("imap"), "alice", "wrong", "secret");
            try (RawClient c = RawClient.connect(proxy.port("pop3"))) {
                c.expect("+OK");
                c.line("USER bob");
                c.expect("+OK");
                c.line("PASS secret");
                c.expect("+OK");
                c.line("STAT");
                c.expect("+OK echo STAT");
                c.line("QUIT");
                c.expect("+OK");
            }
            long[] up = new long[2];
            long[] down = new long[2];
            // who closed first (client or backend) is a race; the log line says which it was
            java.util.Map<String, Integer> outcomes = new java.util.TreeMap<>();
            for (String line : awaitSessionLines(log, 3)) {
                int k = line.contains(" imap id=") ? 0 : 1;
                outcomes.merge((k == 0 ? "imap " : "pop3 ") + line.replaceAll(".* outcome=(\\S+).*", "$1"), 1, Integer::sum);
                up[k] += Long.parseLong(line.replaceAll(".* up=(\\d+) .*", "$1"));
                down[k] += Long.parseLong(line.replaceAll(".* down=(\\d+) .*", "$1"));
            }
            Reply r = call(admin, "GET", "/metrics");
            assertEquals(200, r.status());
            String m = r.body();
            String imapL = "listener=imap";
            assertEquals(2, sample(m, "mailproxy_logins_total", "protocol=imap", imapL, "mechanism=plain", "result=success"));
            assertEquals(1, sample(m, "mailproxy_logins_total", "protocol=imap", imapL, "mechanism=plain", "result=failed"));
            assertEquals(0, sample(m, "mailproxy_logins_total", "protocol=imap", imapL, "mechanism=plain", "result=error"));
            assertEquals(1, sample(m, "mailproxy_logins_total", "protocol=pop3", "listener=pop3", "mechanism=plain", "result=success"));
            for (var e : outcomes.entrySet()) {
                String[] po = e.getKey().split(" ");
                assertEquals((double) e.getValue(), sample(m, "mailproxy_sessions_total", "protocol=" + po[0], "listener=" + po[0],
                        "outcome=" + po[1]), e.getKey());
            }
            assertEquals(3, outcomes.values().stream().mapToInt(Integer::intValue).sum());
            assertEquals(0, sample(m, "mailproxy_sessions_total", "protocol=imap", imapL, "outcome=timeout"));
            assertEquals(0, sample(m, "mailproxy_sessions_active", "protocol=imap", imapL));
            assertEquals(up[0], sample(m, "mailproxy_relay_bytes_total", "protocol=imap", imapL, "direction=up"));
            assertEquals(down[0], sample(m, "mailproxy_relay_bytes_total", "protocol=imap", imapL, "direction=down"));
            assertEquals(up[1], sample(m, "mailproxy_relay_bytes_total", "protocol=pop3", "listener=pop3", "direction=up"));
            assertEquals(down[1], sample(m, "mailproxy_relay_bytes_total", "protocol=pop3", "listener=pop3", "direction=down"));
            assertTrue(up[0] > 0 && down[0] > 0, "the relay carried bytes");
            assertEquals(4, sample(m, "mailproxy_router_duration_seconds_count", "router=r"));
            assertEquals(3, sample(m, "mailproxy_backend_connect_duration_seconds_count", "protocol=imap", "pool=store"));
            assertEquals(3, sample(m, "mailproxy_backend_login_duration_seconds_count", "protocol=imap", "pool=store"));
            assertEquals(1, sample(m, "mailproxy_backend_login_duration_seconds_count", "protocol=pop3", "pool=store"));
            String server = "server=127.0.0.1:" + imap.port();
            assertEquals(1, sample(m, "mailproxy_backend_up", "pool=store", server, "protocol=imap"));
            assertEquals(1, sample(m, "mailproxy_backend_up", "pool=store", server, "protocol=pop3"));
            assertEquals(0, sample(m, "mailproxy_backend_sessions", "pool=store", server));
            assertEquals(0, sample(m, "mailproxy_guard_actions_total", "protocol=imap", imapL, "action=throttled"),
                    "the test proxy runs without the guard's delay");
            assertEquals(0, sample(m, "mailproxy_tls_handshakes_total", "protocol=imap", imapL, "side=client", "result=ok"));
            assertTrue(!m.contains("alice") && !m.contains("bob") && !m.contains("secret"), "no user or password in labels");
        }
    }

    private static List<String> awaitSessionLines(LogCapture log, int n) throws InterruptedException {
        Await.until(Duration.ofSeconds(10), () -> sessionLines(log).size() >= n);
        List<String> lines = sessionLines(log);
        assertEquals(n, lines.size(), log.text());
        return lines;
    }

    private static List<String> sessionLines(LogCapture log) {
        List<String> lines = new ArrayList<>();
        for (String l : log.text().split("\n")) if (l.contains(" session - ") && l.contains(" outcome=")) lines.add(l);
        return lines;
    }

    @Test
    void readyOnlyWithListenersUpALivePoolAndNotWhileStopping() throws Exception {
        try (FakeBackend imap = FakeBackends.imap().password("secret").start();
             FakeBackend pop3 = FakeBackends.pop3().password("secret").start()) {
            ProxyServer[] running = new ProxyServer[1];
            String text = config(imap.port(), pop3.port(), "10s");
            AdminConfig ac = ConfigLoader.parse(text, "t.conf").admin();
            try (AdminServer admin = AdminServer.start(ac, () -> running[0], () -> {
                try {
                    running[0].reload(ConfigLoader.parse(text, "t.conf"));
                    return true;
                } catch (java.io.IOException e) {
                    return false;
                }
            })) {
                assertEquals(new Reply(503, "starting\n"), call(admin, "GET", "/health/ready"));
                assertEquals(new Reply(200, "live\n"), call(admin, "GET", "/health/live"));
                TestProxy proxy = TestProxy.start(text);
                running[0] = proxy.server();
                try {
                    assertEquals(new Reply(200, "ready\n"), call(admin, "GET", "/health/ready"));
                    // the pool's only server drained: no live server for what it serves
                    Reply d = call(admin, "POST", "/drain?server=127.0.0.1:" + pop3.port());
                    assertEquals(200, d.status(), d.body());
                    assertEquals("draining store 127.0.0.1:" + imap.port() + " (until the next reload)\n", d.body());
                    assertEquals(new Reply(503, "not ready: pool store has no live server for imap\n"),
                            call(admin, "GET", "/health/ready"));
                    assertEquals(404, call(admin, "POST", "/drain?server=127.0.0.1:1").status());
                    // a reload takes the servers anew from the config
                    assertEquals(new Reply(200, "reloaded\n"), call(admin, "POST", "/reload"));
                    assertEquals(new Reply(200, "ready\n"), call(admin, "GET", "/health/ready"));
                    // a session stays open while the proxy stops: not ready while it drains
                    try (RawClient c = RawClient.connect(proxy.port("imap"))) {
                        c.expect("* OK");
                        c.line("a LOGIN alice secret");
                        c.expect("a OK");
                        assertTrue(call(admin, "GET", "/sessions").body().contains(" user=alice "), "listed");
                        Thread stop = Thread.ofVirtual().start(proxy::close);
                        Reply r = awaitStatus(admin, 503);
                        assertEquals("not ready: stopping: draining sessions\n", r.body());
                        c.line("z LOGOUT");
                        c.expect("* BYE");
                        stop.join(Duration.ofSeconds(10));
                    }
                } finally {
                    proxy.close();
                }
            }
        }
    }

    private static Reply awaitStatus(AdminServer admin, int status) throws Exception {
        Reply[] last = {null};
        Await.value(Duration.ofSeconds(5), Duration.ofMillis(20), () -> {
            last[0] = call(admin, "GET", "/health/ready");
            return last[0].status() == status ? last[0] : null;
        });
        return last[0];
    }

    @Test
    void sessionsAreListedAndAUsersSessionsClosed() throws Exception {
        try (FakeBackend imap = FakeBackends.imap().password("secret").start();
             FakeBackend pop3 = FakeBackends.pop3().password("secret").start();
             TestProxy proxy = TestProxy.start(config(imap.port(), pop3.port(), "1s"));
             AdminServer admin = AdminServer.start(proxy.config().admin(), proxy::server, () -> true);
             RawClient c = RawClient.connect(proxy.port("imap"))) {
            c.expect("* OK");
            c.line("a LOGIN Alice secret");
            c.expect("a OK");
            c.line("n NOOP");
            c.expect("n OK");
            String list = call(admin, "GET", "/sessions").body();
            Matcher m = Pattern.compile("^id=\\S+ protocol=imap listener=imap client=127\\.0\\.0\\.1:" + c.socket().getLocalPort()
                    + " user=Alice backend=127\\.0\\.0\\.1:" + imap.port() + " since=\\S+Z state=relay up=8 down=\\d+$",
                    Pattern.MULTILINE).matcher(list);
            assertTrue(m.find(), list);
            assertEquals(new Reply(200, "closed 1 sessions\n"), call(admin, "POST", "/close?user=alice"));
            assertTrue(c.closedByPeer(), "the session was closed");
            assertEquals(new Reply(200, "closed 0 sessions\n"), call(admin, "POST", "/close?user=alice"));
        }
    }

    @Test
    void traceSwitchesAndWrongRequests() throws Exception {
        try (FakeBackend imap = FakeBackends.imap().password("secret").start();
             FakeBackend pop3 = FakeBackends.pop3().password("secret").start();
             TestProxy proxy = TestProxy.start(config(imap.port(), pop3.port(), "1s"));
             AdminServer admin = AdminServer.start(proxy.config().admin(), proxy::server, () -> false)) {
            assertEquals(new Reply(200, "user carol (admin)\n"), call(admin, "POST", "/trace?user=Carol"));
            assertEquals(new Reply(200, "user carol (admin)\nclient 10.0.0.0/8 (admin)\n"),
                    call(admin, "POST", "/trace?client=10.0.0.0/8&on=true"));
            assertEquals(new Reply(200, "client 10.0.0.0/8 (admin)\n"), call(admin, "POST", "/trace?user=carol&on=false"));
            assertEquals(400, call(admin, "POST", "/trace?client=not-an-address").status());
            assertEquals(400, call(admin, "POST", "/trace?user=x&on=maybe").status());
            assertEquals(400, call(admin, "POST", "/close").status());
            assertEquals(405, call(admin, "GET", "/reload").status());
            assertEquals(405, call(admin, "POST", "/metrics").status());
            assertEquals(404, call(admin, "GET", "/nope").status());
            assertEquals(409, call(admin, "POST", "/reload").status());
            assertEquals(414, call(admin, "GET", "/sessions?x=" + "a".repeat(5000)).status());
        }
    }
}
