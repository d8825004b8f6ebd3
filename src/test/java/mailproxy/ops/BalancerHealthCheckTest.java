package mailproxy.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import mailproxy.admin.AdminServer;
import mailproxy.config.ConfigLoader;
import mailproxy.testing.Await;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.FreePorts;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealHaproxy;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;

/**
 * The balancer's health check of README.md, "Running in production", in Debian's HAProxy
 * in front of two proxies: HTTP GET /health/ready on each proxy's admin listener, with
 * Host: localhost. A proxy that turns not ready (its one pool server drained) gets no new
 * clients; once ready again (a reload ends the drain), it gets them again.
 */
class BalancerHealthCheckTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** A fixed {@code port}: a reload keeps a listener whose address it names again (port 0 would be bound anew). */
    private static String config(String name, int backend, int port) {
        return """
                mailproxy {
                  server-name = "%s"
                  admin { listen = "127.0.0.1:0" }
                  guard { max-connections-per-ip = 0, max-sessions-per-user = 0, auth-delay = 0s, block-after = 0 }
                  backends { store { host = "127.0.0.1", imap { port = %d } } }
                  routers { r { type = static, default = store } }
                  listener-defaults { proxy-protocol = true, trusted-proxies = ["127.0.0.1"] }
                  listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:%d" } ]
                }
                """.formatted(name, backend, port);
    }

    private static HttpResponse<String> admin(AdminServer a, String method, String path) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.address().getPort() + path))
                .timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody());
        if (method.equals("POST")) b.header("X-Mailproxy-Admin", "1"); // README.md, "Admin listener"
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The server names in the greetings of {@code n} connections through the balancer. */
    private static Set<String> greeters(RealHaproxy balancer, int n) {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < n; i++) {
            try (RawClient c = RawClient.connect(balancer.port())) {
                String greeting = c.readLine();
                names.add(greeting == null ? "closed" : greeting.contains("p0.test") ? "p0" : greeting.contains("p1.test") ? "p1" : greeting);
            } catch (IOException e) {
                names.add(e.toString());
            }
        }
        return names;
    }

    @Test
    void aProxyThatIsNotReadyGetsNoNewClients() throws Exception {
        int[] ports = FreePorts.allocate(2);
        try (FakeBackend imap = FakeBackends.imap().password("secret").start();
             TestProxy p0 = TestProxy.start(config("p0.test", imap.port(), ports[0]));
             TestProxy p1 = TestProxy.start(config("p1.test", imap.port(), ports[1]));
             AdminServer a0 = AdminServer.start(p0.config().admin(), p0::server, () -> true);
             AdminServer a1 = AdminServer.start(p1.config().admin(), p1::server, () -> true);
             RealHaproxy balancer = RealHaproxy.startWith("""
                       balance roundrobin
                       option httpchk
                       http-check send meth GET uri /health/ready ver HTTP/1.1 hdr Host localhost
                       default-server check inter 100ms fall 2 rise 2
                       server proxy0 127.0.0.1:%d send-proxy-v2 port %d
                       server proxy1 127.0.0.1:%d send-proxy-v2 port %d
                     """.formatted(p0.port("imap"), a0.address().getPort(), p1.port("imap"), a1.address().getPort()))) {
            assertTrue(Await.until(Duration.ofSeconds(20), () -> greeters(balancer, 4).equals(Set.of("p0", "p1"))),
                    "both proxies take clients");

            HttpResponse<String> drain = admin(a0, "POST", "/drain?server=127.0.0.1:" + imap.port());
            assertEquals(200, drain.statusCode(), drain.body());
            HttpResponse<String> ready = admin(a0, "GET", "/health/ready");
            assertEquals(503, ready.statusCode(), ready.body());
            assertTrue(Await.until(Duration.ofSeconds(20), () -> greeters(balancer, 6).equals(Set.of("p1"))),
                    "the balancer sends every client to the ready proxy");

            p0.server().reload(ConfigLoader.parse(config("p0.test", imap.port(), ports[0]), "reloaded.conf"));
            assertEquals(200, admin(a0, "GET", "/health/ready").statusCode());
            assertTrue(Await.until(Duration.ofSeconds(20), () -> greeters(balancer, 4).equals(Set.of("p0", "p1"))),
                    "ready again, it takes clients again");
        }
    }
}
