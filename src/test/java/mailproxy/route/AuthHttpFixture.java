package mailproxy.route;

import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What each auth_http protocol test sets up, as a JUnit extension: a fresh fake backend of
 * its protocol, and room for the auth server and the proxy the test starts; all closed
 * after the test.
 */
final class AuthHttpFixture implements BeforeEachCallback, AfterEachCallback {
    private final FakeBackends.Builder builder;
    /** The fake backend the auth server's {@link #toBackend()} answer points at. */
    FakeBackend backend;
    AuthServer auth;
    TestProxy proxy;

    AuthHttpFixture(FakeBackends.Builder backend) {
        this.builder = backend;
    }

    /** Auth-Status OK with the fake backend as Auth-Server and Auth-Port. */
    AuthServer.Answer toBackend() {
        return AuthServer.ok("127.0.0.1", backend.port());
    }

    /** Starts a proxy from {@code hocon}, closing the one started before. */
    void startProxy(String hocon) throws Exception {
        if (proxy != null) proxy.close();
        proxy = TestProxy.start(hocon);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        backend = builder.start();
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (proxy != null) proxy.close();
        if (auth != null) auth.close();
        backend.close();
    }
}
