package mailproxy.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mailproxy.admin.AdminServer;
import mailproxy.config.ConfigLoader;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;

/**
 * The dashboard and the alerts query only what a running proxy exports: a proxy with an
 * admin listener, a pool and one login behind it is scraped, and every mailproxy_ name in
 * config/grafana and config/prometheus must be among its samples (a renamed metric would
 * leave a panel empty and an alert silent, with no error anywhere).
 */
class MetricNamesTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static String config(int backend, int maxConnections) {
        return """
                mailproxy {
                  max-connections = %d
                  admin { listen = "127.0.0.1:0" }
                  backends { store { host = "127.0.0.1", imap { port = %d } } }
                  routers { r { type = static, default = store } }
                  listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0" } ]
                }
                """.formatted(maxConnections, backend);
    }

    private static String scrape(AdminServer admin) throws Exception {
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.address().getPort() + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> r = HTTP.send(get, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    /** The names of the samples in a Prometheus text exposition (histograms: _bucket, _count, _sum). */
    private static Set<String> sampleNames(String exposition) {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]").matcher(exposition);
        while (m.find()) names.add(m.group(1));
        return names;
    }

    @Test
    void everyMetricTheDashboardAndTheAlertsQueryIsExported() throws Exception {
        try (FakeBackend imap = FakeBackends.imap().password("secret").start();
             TestProxy proxy = TestProxy.start(config(imap.port(), 9000));
             AdminServer admin = AdminServer.start(proxy.config().admin(), proxy::server, () -> true)) {
            // one login, so that the router and backend histograms have samples
            AliceLogin.loginAndLogout(proxy.port("imap"));
            Set<String> exported = sampleNames(scrape(admin));
            Set<String> queried = new TreeSet<>(OpsFiles.metricNames(Files.readString(OpsFiles.config("prometheus/mailproxy-alerts.yml"))));
            queried.addAll(OpsFiles.metricNames(Files.readString(GrafanaDashboardTest.DASHBOARD)));
            assertTrue(queried.size() >= 10, "queried: " + queried);
            Set<String> missing = new TreeSet<>(queried);
            missing.removeAll(exported);
            assertEquals(Set.of(), missing, "queried but not exported; exported: " + exported);
        }
    }

    /** MailproxyNearMaxConnections divides by it: it must follow the config in force. */
    @Test
    void maxConnectionsIsTheOneInForceAfterAReload() throws Exception {
        try (FakeBackend imap = FakeBackends.imap().password("secret").start();
             TestProxy proxy = TestProxy.start(config(imap.port(), 123));
             AdminServer admin = AdminServer.start(proxy.config().admin(), proxy::server, () -> true)) {
            assertEquals(123, maxConnections(scrape(admin)));
            proxy.server().reload(ConfigLoader.parse(config(imap.port(), 456), "reloaded.conf"));
            assertEquals(456, maxConnections(scrape(admin)));
        }
    }

    private static double maxConnections(String exposition) {
        Matcher m = Pattern.compile("(?m)^mailproxy_max_connections (\\S+)$").matcher(exposition);
        assertTrue(m.find(), exposition);
        return Double.parseDouble(m.group(1));
    }
}
