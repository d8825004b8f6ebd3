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
     * {@code hocon} is a whole config, e.g. {@code mailproxy { listeners = [...] ... }}. The
     * drain on close is short (a test's sessions are over when it closes the proxy) unless
     * the config sets its own drain-timeout.
     */
    public static TestProxy start(String hocon) throws Exception {
        ProxyConfig c = ConfigLoader.parse("mailproxy.drain-timeout = 1s\n" + hocon, "test.conf");
        return new TestProxy(c, ProxyServer.start(c));
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
