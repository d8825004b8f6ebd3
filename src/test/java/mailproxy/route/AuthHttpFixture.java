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
    /**
     * The auth_http request of an SMTP MX-mode login (RFC 5321 envelope, no AUTH): method
     * none, empty user and password, the HELO name and the MAIL and RCPT lines as sent.
     */
    static final String MX_HEADERS = """
            Auth-Method: none
            Auth-User:
            Auth-Pass:
            Auth-Protocol: smtp
            Client-Host: [UNAVAILABLE]
            Auth-SMTP-Helo: client.example
            Auth-SMTP-From: MAIL FROM:<a@x.example> SIZE=100
            Auth-SMTP-To: RCPT TO:<b@y.example>
            """;

    /** The headers of a PLAIN login as alias@example.test with the password "any thing", from 127.0.0.1. */
    static final String ALIAS_LOGIN = """
            Auth-Method: plain
            Auth-User: alias@example.test
            Auth-Pass: any%20thing
            Auth-Login-Attempt: 1
            Client-IP: 127.0.0.1
            """;

    private final FakeBackends.Builder builder;
    private final String backendOptions;
    private final String listeners;
    /** The fake backend the auth server's {@link #toBackend()} answer points at. */
    FakeBackend backend;
    AuthServer auth;
    TestProxy proxy;

    /**
     * @param backendOptions the protocol section of the backend-options template (null: none)
     * @param listeners      the proxy's listeners, as HOCON
     */
    AuthHttpFixture(FakeBackends.Builder backend, String backendOptions, String listeners) {
        this.builder = backend;
        this.backendOptions = backendOptions;
        this.listeners = listeners;
    }

    /** The proxy asking auth server {@code a}, with the fixture's listeners. */
    void start(AuthServer a) throws Exception {
        auth = a;
        startProxy(a.url().toString());
    }

    /** The proxy asking the auth server at {@code url}, with the fixture's listeners. */
    void startProxy(String url) throws Exception {
        startProxy(url, listeners);
    }

    /**
     * A proxy named proxy.example.test with an auth_http router asking {@code url} (2 s
     * timeout) and these listeners, closing the one started before.
     */
    void startProxy(String url, String listeners) throws Exception {
        startProxy(url, listeners, "");
    }

    /** Like {@link #startProxy(String, String)}, with more keys for the router (", key = value ..."). */
    void startProxy(String url, String listeners, String routerKeys) throws Exception {
        String template = (backendOptions == null ? "" : ", backend-options = tpl") + routerKeys;
        restart("""
                mailproxy {
                  server-name = "proxy.example.test"
                  backends { %s }
                  routers { auth { type = auth-http, url = "%s", timeout = 2s %s } }
                  listeners = [ %s ]
                }
                """.formatted(backendOptions == null ? "" : "tpl { host = \"0.0.0.0\", " + backendOptions + " }",
                url, template, listeners));
    }

    /** Auth-Status OK with the fake backend as Auth-Server and Auth-Port. */
    AuthServer.Answer toBackend() {
        return AuthServer.ok("127.0.0.1", backend.port());
    }

    /** Starts a proxy from {@code hocon}, closing the one started before. */
    private void restart(String hocon) throws Exception {
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
