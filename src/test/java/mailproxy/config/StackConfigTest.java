package mailproxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** LMTP and ManageSieve listeners and backend sections, and the OAuth mechanisms: defaults and errors. */
class StackConfigTest {
    static ProxyConfig parse(String listeners, String backendBody) {
        return ConfigLoader.parse("""
                mailproxy {
                  backends { b { host = "127.0.0.1", %s } }
                  routers { r { type = static, default = b } }
                  listeners = [ %s ]
                }
                """.formatted(backendBody, listeners), "stack.conf");
    }

    static String error(String listeners, String backendBody) {
        return assertThrows(ConfigException.class, () -> parse(listeners, backendBody)).getMessage();
    }

    @Test
    void defaults() {
        ProxyConfig c = parse("""
                { protocol = lmtp, listen = "127.0.0.1:0" }
                { protocol = sieve, listen = "127.0.0.1:0", auth = [plain, OAUTHBEARER, xoauth2] }
                """, "lmtp { }, sieve { }");
        ListenerConfig lmtp = c.listeners().get(0);
        assertEquals(Protocol.LMTP, lmtp.protocol());
        assertEquals("lmtp-0", lmtp.name());
        assertEquals(List.of(), lmtp.auth(), "LMTP has no AUTH");
        assertEquals(new LmtpOptions(64L << 20, 1L << 20, Path.of(System.getProperty("java.io.tmpdir"), "mailproxy-lmtp-spool"), 1000, 64 * 1024,
                LmtpOptions.BareNewline.REJECT, mailproxy.wire.CidrSet.parse(List.of("127.0.0.0/8", "::1"))), lmtp.options());
        ListenerConfig sieve = c.listeners().get(1);
        assertEquals(List.of("plain", "oauthbearer", "xoauth2"), sieve.auth());
        assertEquals("mailproxy", sieve.options(SieveOptions.class).implementation());
        assertTrue(sieve.options(SieveOptions.class).extensions().startsWith("fileinto reject envelope"));
        assertEquals("mailto", sieve.options(SieveOptions.class).notifyMethods());
        Backend b = c.backends().get("b");
        assertEquals(24, b.port(Protocol.LMTP));
        assertEquals(4190, b.port(Protocol.SIEVE));
        assertEquals(Backend.Balance.USER_HASH, b.balance(Protocol.LMTP));
        assertEquals(Backend.Tls.OFF, b.tls(Protocol.SIEVE));
    }

    @Test
    void sectionsAndServerPorts() {
        ProxyConfig c = ConfigLoader.parse("""
                mailproxy {
                  backends { b {
                    servers = [ { host = "10.0.0.1", lmtp-port = 2424, sieve-port = 4191 }, { host = "10.0.0.2" } ]
                    lmtp { port = 24, tls = starttls, balance = least-connections, proxy-protocol = v2 }
                    sieve { port = 4190, tls = implicit }
                    tls-verify = false
                  } }
                }
                """, "stack.conf");
        Backend b = c.backends().get("b");
        assertEquals(2424, b.port(b.servers().get(0), Protocol.LMTP));
        assertEquals(24, b.port(b.servers().get(1), Protocol.LMTP));
        assertEquals(4191, b.port(b.servers().get(0), Protocol.SIEVE));
        assertEquals(Backend.Tls.STARTTLS, b.tls(Protocol.LMTP));
        assertEquals(Backend.Balance.LEAST_CONNECTIONS, b.balance(Protocol.LMTP));
        assertEquals(Backend.ProxyProtocol.V2, b.proxyProtocol(Protocol.LMTP));
        assertEquals(Backend.Tls.IMPLICIT, b.tls(Protocol.SIEVE));
        assertEquals(-1, b.port(Protocol.IMAP));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "lmtp-max-message-size = 10 | mailproxy.listeners[0].lmtp-max-message-size",
            "lmtp-max-recipients = 50 | mailproxy.listeners[0].lmtp-max-recipients",
            "lmtp-line-length = 100 | mailproxy.listeners[0].lmtp-line-length",
            "lmtp-temp-dir = \"/nonexistent/dir\" | mailproxy.listeners[0].lmtp-temp-dir: expected a directory, or one to create",
            "lmtp-memory-buffer = lots | mailproxy.listeners[0].lmtp-memory-buffer",
            "lmtp-bare-newline = strip | mailproxy.listeners[0].lmtp-bare-newline: expected one of reject, normalize",
            "lmtp-clients = [] | mailproxy.listeners[0].lmtp-clients: no MTA could deliver here",
            "lmtp-clients = [\"10.0.0.0/33\"] | mailproxy.listeners[0].lmtp-clients: expected a prefix length",
            "sieve-extensions = \"a\\u0001b\" | mailproxy.listeners[0].sieve-extensions: expected text without control",
            "auth = [oauth2] | mailproxy.listeners[0].auth: expected mechanisms among"})
    void badListenerKeysAreNamed(String key, String expected) {
        String e = error("{ protocol = lmtp, listen = \"127.0.0.1:0\", " + key + " }", "lmtp { }");
        assertTrue(e.contains("stack.conf") && e.contains(expected), e);
    }

    @Test
    void badBackendSectionsAreNamed() {
        String e = error("", "lmtp { port = 24, login = plain }");
        assertTrue(e.contains("mailproxy.backends.b.lmtp.login: unknown key"), e);
        e = error("", "sieve { port = 70000 }");
        assertTrue(e.contains("mailproxy.backends.b.sieve.port"), e);
        // a pool server's port for a protocol the backend lacks
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                "mailproxy { backends { b { servers = [ { host = \"h\", sieve-port = 1 } ], imap { } } } }", "stack.conf")).getMessage();
        assertTrue(e.contains("sieve-port: the backend has no sieve { } section"), e);
    }
}
