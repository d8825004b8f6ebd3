package mailproxy.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A submission listener whose static router leads to a backend with smtp.auth = none would
 * answer 235 to any password: a startup error, unless the listener opts out by name.
 */
class UncheckedLoginConfigTest {
    private static String config(String backendAuth, String router, String listenerExtra) {
        return """
                mailproxy {
                  backends {
                    checked { host = "127.0.0.1", smtp { port = 25, auth = plain } }
                    open { host = "127.0.0.1", smtp { port = 25, %s xclient = true } }
                  }
                  routers {
                    %s
                    auth { type = auth-http, url = "http://127.0.0.1:9/auth", backend-options = open }
                  }
                  listeners = [
                    { name = imap, protocol = imap, listen = "127.0.0.1:0", router = auth }
                    { name = submission, protocol = smtp, listen = "127.0.0.1:0", router = r %s }
                  ]
                }""".formatted(backendAuth, router, listenerExtra);
    }

    private static String error(String hocon) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parse(hocon, "my.conf")).getMessage();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "r { type = static, default = open }",
        "r { type = static, default = checked, domains { \"example.org\" = open } }",
        "r { type = static, users { \"bob@example.org\" = open } }",
    })
    void staticRouteToABackendWithoutAuthIsRefusedNamingListenerAndBackend(String router) {
        for (String auth : new String[] {"auth = none,", ""}) { // none is also the default
            String m = error(config(auth, router, ""));
            assertTrue(m.contains("mailproxy.listeners[1].router"), m);
            assertTrue(m.contains("'submission'") && m.contains("'open'") && m.contains("smtp.auth = none"), m);
            assertTrue(m.contains("smtp-trust-unchecked-login = true"), m);
        }
    }

    @Test
    void theOptOutAcceptsIt() {
        assertDoesNotThrow(() -> ConfigLoader.parse(config("auth = none,", "r { type = static, default = open }",
                ", smtp-trust-unchecked-login = true"), "my.conf"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"auth = plain,", "auth = login,"})
    void aBackendThatChecksThePasswordIsFine(String auth) {
        assertDoesNotThrow(() -> ConfigLoader.parse(config(auth, "r { type = static, default = open }", ""), "my.conf"));
    }

    @Test
    void anAuthHttpRouterChecksThePassword() {
        assertDoesNotThrow(() -> ConfigLoader.parse(config("auth = none,", "r { type = auth-http, url = \"http://127.0.0.1:9/a\" }",
                ""), "my.conf"));
    }

    @Test
    void mxListenersAndExternalOnlyNeedNoPassword() {
        String router = "r { type = static, default = open }";
        assertDoesNotThrow(() -> ConfigLoader.parse(config("auth = none,", router, ", smtp-mode = mx"), "my.conf"));
        assertDoesNotThrow(() -> ConfigLoader.parse(config("auth = none,", router, ", auth = [external]"), "my.conf"));
    }

    @Test
    void theOptOutIsAListenerKeyWithABooleanValue() {
        String m = error(config("auth = plain,", "r { type = static, default = open }", ", smtp-trust-unchecked-login = maybe"));
        assertTrue(m.contains("listeners[1].smtp-trust-unchecked-login") && m.contains("true or false"), m);
    }

    @Test
    void exampleConfigsStillLoad() {
        assertDoesNotThrow(() -> ConfigLoader.load(Path.of("config/mailproxy.conf")));
    }
}
