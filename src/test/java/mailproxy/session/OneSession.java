package mailproxy.session;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import mailproxy.config.ListenerConfig;
import mailproxy.config.ProxyConfig;
import mailproxy.guard.Guard;
import mailproxy.metrics.Metrics;
import mailproxy.route.Router;
import mailproxy.testing.RawClient;
import mailproxy.trace.TraceSwitch;
import mailproxy.wire.Connection;
import mailproxy.wire.Watchdog;

/**
 * One session made as server.Listener makes it, over a loopback socket, with a router the
 * test chooses (TestProxy builds its routers from the config): for the failures a config
 * cannot make, a router that throws or that answers with a pool a reload replaced.
 */
final class OneSession {
    private OneSession() {}

    /** The client's side of the dialogue. */
    @FunctionalInterface
    interface Client {
        void talk(RawClient c) throws IOException;
    }

    /**
     * One session of the config's listener with {@code router} and {@code protocol}, the
     * client's part played against it; the session's log line once it has ended.
     */
    static String run(ProxyConfig config, Router router, SessionFactory protocol, Client client) throws Exception {
        ListenerConfig listener = config.listeners().getFirst();
        try (ServerSocket accepting = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             RawClient c = RawClient.connect((InetSocketAddress) accepting.getLocalSocketAddress());
             Socket s = accepting.accept();
             Watchdog watchdog = new Watchdog(Duration.ofMillis(100));
             Guard guard = Guard.start(config.guard())) {
            LiveSession session = new LiveSession(1, config, listener, router, guard, new Connection(s, 256), watchdog,
                    new SessionMeters(new Metrics(), listener), new TraceSwitch(config.trace()));
            Thread t = Thread.ofVirtual().name("session under test").start(() -> session.run(protocol));
            c.timeout(10_000);
            client.talk(c);
            assertTrue(t.join(Duration.ofSeconds(20)), "the session's thread ended");
            return session.logLine();
        }
    }
}
