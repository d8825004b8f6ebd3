package mailproxy.lmtp;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.FreePorts;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;

/**
 * What the LMTP tests start from: two fake LMTP backends, "one" for the domain one.test
 * and "two" for two.test, behind a proxy with one LMTP listener named lmtp. Closing it
 * closes the clients it made, the proxy and the backends.
 */
final class LmtpFixture implements AutoCloseable {
    private final FakeBackend one;
    private final FakeBackend two;
    private final TestProxy proxy;
    private final List<RawClient> clients = new CopyOnWriteArrayList<>();

    private LmtpFixture(FakeBackend one, FakeBackend two, TestProxy proxy) {
        this.one = one;
        this.two = two;
        this.proxy = proxy;
    }

    /** {@code listenerExtra}: more keys of the listener, each after a comma. */
    static LmtpFixture start(String listenerExtra) throws Exception {
        return start(listenerExtra, true);
    }

    /** Backend two is down: nothing listens on its port. */
    static LmtpFixture withTwoDown() throws Exception {
        return start("", false);
    }

    private static LmtpFixture start(String listenerExtra, boolean twoUp) throws Exception {
        FakeBackend one = FakeBackends.lmtp("one").start();
        FakeBackend two = twoUp ? FakeBackends.lmtp("two").start() : null;
        try {
            int twoPort = two != null ? two.port() : FreePorts.closedPort();
            return new LmtpFixture(one, two, TestProxy.start(config(one.port(), twoPort, listenerExtra)));
        } catch (Exception e) {
            one.close();
            if (two != null) two.close();
            throw e;
        }
    }

    static String config(int one, int two, String listenerExtra) {
        return """
                mailproxy {
                  server-name = "proxy.test"
                  limits { backend-timeout = 5s, greeting-timeout = 2s }
                  backends {
                    one { host = "127.0.0.1", lmtp { port = %d } }
                    two { host = "127.0.0.1", lmtp { port = %d } }
                  }
                  routers { r { type = static, domains { "one.test" = one, "two.test" = two } } }
                  listeners = [ { name = lmtp, protocol = lmtp, listen = "127.0.0.1:0" %s } ]
                }
                """.formatted(one, two, listenerExtra);
    }

    FakeBackend one() { return one; }

    FakeBackend two() { return two; }

    TestProxy proxy() { return proxy; }

    /** A client of the LMTP listener, not greeted yet. */
    RawClient connect() throws IOException {
        RawClient c = RawClient.connect(proxy.port("lmtp"));
        clients.add(c);
        return c;
    }

    /** A client that has been greeted and said LHLO (the default listener's capabilities). */
    RawClient lhlo() throws IOException {
        return lhlo(connect());
    }

    /** {@code c}, greeted by a proxy named proxy.test, and LHLO said (the default listener's capabilities). */
    static RawClient lhlo(RawClient c) throws IOException {
        return c.transcript("""
                S: 220 proxy.test LMTP ready
                C: LHLO mta.example
                S: 250-proxy.test
                S: 250-PIPELINING
                S: 250-ENHANCEDSTATUSCODES
                S: 250-8BITMIME
                S: 250 SIZE 67108864
                """);
    }

    /** MAIL FROM, a RCPT TO for each recipient and DATA, each taken as the fakes take them; the message goes next. */
    static void envelope(RawClient c, String from, String... recipients) throws IOException {
        c.transcript("C: MAIL FROM:<" + from + ">\nS: 250 2.1.0 Ok");
        for (String r : recipients) c.transcript("C: RCPT TO:<" + r + ">\nS: 250 2.1.5 Ok");
        c.transcript("C: DATA\nS: 354 End data with <CR><LF>.<CR><LF>");
    }

    @Override
    public void close() throws Exception {
        for (RawClient c : clients) c.close();
        proxy.close();
        try (FakeBackend a = one) {
            if (two != null) two.close();
        }
    }
}
