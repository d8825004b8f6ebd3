package mailproxy.testing;

import java.net.InetSocketAddress;
import java.time.Duration;
import mailproxy.config.ConfigLoader;
import mailproxy.config.ProxyConfig;
import mailproxy.server.ProxyServer;

/** A mailproxy started in-process from HOCON text (listen on port 0), for black-box tests. */
public final class TestProxy implements AutoCloseable {
    private final ProxyServer server;
    private final ProxyConfig config;

    private TestProxy(ProxyConfig config, ProxyServer server) {
        this.config = config;
        this.server = server;
    }

    /**
     * Defaults for tests, under the test's own config: a short drain (a test's sessions are
     * over when it closes the proxy), and no guard (every client is 127.0.0.x, and a
     * test's deliberate wrong passwords must not slow the next test). Tests of the drain
     * or the guard set those keys themselves.
     */
    static final String TEST_DEFAULTS = """
            mailproxy.drain-timeout = 1s
            mailproxy.guard { max-connections-per-ip = 0, max-sessions-per-user = 0, max-sessions-per-user-ip = 0, auth-delay = 0s, block-after = 0 }
            """;

    /**
     * The system property that runs every test proxy with this mailproxy.tls-provider (the
     * pom's openssl-provider execution runs the TLS tests again with "openssl"); a test's
     * own setting wins.
     */
    public static final String TLS_PROVIDER_PROPERTY = "mailproxy.test.tls-provider";

    /** The client-facing TLS provider the tests of this run use: "jdk" or "openssl". */
    public static String tlsProvider() {
        return System.getProperty(TLS_PROVIDER_PROPERTY, "jdk");
    }

    /** Whether this run serves client TLS with BoringSSL. */
    public static boolean openssl() {
        return tlsProvider().equals("openssl");
    }

    /** {@code hocon} is a whole config, e.g. {@code mailproxy { listeners = [...] ... }}, over {@link #TEST_DEFAULTS}. */
    public static TestProxy start(String hocon) throws Exception {
        ProxyConfig c = parse(hocon);
        return new TestProxy(c, ProxyServer.start(c));
    }

    /** Reloads the running proxy with {@code hocon} over {@link #TEST_DEFAULTS}, as SIGHUP reloads a changed file. */
    public void reload(String hocon) throws Exception {
        server.reload(parse(hocon));
    }

    private static ProxyConfig parse(String hocon) {
        String defaults = TEST_DEFAULTS + "mailproxy.tls-provider = " + tlsProvider() + "\n";
        return ConfigLoader.parse(defaults + hocon, "test.conf");
    }

    public InetSocketAddress address(String listenerName) { return server.address(listenerName); }

    public int port(String listenerName) { return address(listenerName).getPort(); }

    public ProxyConfig config() { return config; }

    public ProxyServer server() { return server; }

    public int activeSessions() { return server.activeSessions(); }

    /** Waits up to {@code max} for every session to end; whether they did. */
    public boolean noSessionsWithin(Duration max) {
        return Await.until(max, () -> server.activeSessions() == 0);
    }

    @Override
    public void close() { server.close(); }
}
