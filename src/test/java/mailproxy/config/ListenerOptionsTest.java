package mailproxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import mailproxy.testing.SiteCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Listener keys beyond the basics: per-listener limits (nginx's server {} overrides),
 * proxy-protocol and trusted-proxies, smtp-capabilities, auth none, and EXTERNAL only
 * where a client certificate can exist.
 */
class ListenerOptionsTest {
    private static final String BASE = """
            backends { store { host = "127.0.0.1", pop3 { port = 110 }, imap { port = 143 }, smtp { port = 25, auth = plain } } }
            routers { local { type = static, default = store } }
            """;

    private static ProxyConfig parse(String body) {
        return ConfigLoader.parse("mailproxy {\n" + BASE + body + "\n}\n", "my.conf");
    }

    private static ListenerConfig only(String listener) {
        return parse("listeners = [ { " + listener + " } ]").listeners().get(0);
    }

    private static String error(String listener) {
        return assertThrows(ConfigException.class, () -> only(listener)).getMessage();
    }

    // ------------------------------------------------------------ limits overrides

    @Test
    void listenerOverridesTheGlobalLimitsItSets() {
        ProxyConfig c = parse("""
                limits { timeout = 30s, max-errors = 7 }
                relay { buffer-size = 32k }
                listeners = [
                  { name = a, protocol = imap, listen = "127.0.0.1:0", timeout = 5m, max-errors = 3, line-length = 16k,
                    proxy-timeout = 1h, relay-buffer-size = 16k }
                  { name = b, protocol = imap, listen = "127.0.0.1:0" }
                ]
                """);
        ListenerConfig a = c.listeners().get(0);
        assertEquals(Duration.ofMinutes(5), a.limits().timeout());
        assertEquals(3, a.limits().maxErrors());
        assertEquals(16384, a.limits().lineLength());
        assertEquals(Duration.ofHours(1), a.limits().proxyTimeout());
        assertEquals(16384, a.relayBufferSize());
        assertEquals(c.limits().literalSize(), a.limits().literalSize(), "keys without an override stay global");
        assertEquals(c.limits().backendTimeout(), a.limits().backendTimeout());
        ListenerConfig b = c.listeners().get(1);
        assertEquals(c.limits(), b.limits(), "absent: the global limits");
        assertEquals(32768, b.relayBufferSize());
        assertEquals(Duration.ofSeconds(30), c.limits().timeout(), "the global value itself is untouched");
    }

    @Test
    void listenerDefaultsMayCarryTheOverridesForEveryListener() {
        ProxyConfig c = parse("""
                listener-defaults { timeout = 2m }
                listeners = [ { protocol = pop3, listen = "127.0.0.1:0" }, { protocol = imap, listen = "127.0.0.1:0", timeout = 10s } ]
                """);
        assertEquals(Duration.ofMinutes(2), c.listeners().get(0).limits().timeout());
        assertEquals(Duration.ofSeconds(10), c.listeners().get(1).limits().timeout());
        assertEquals(Duration.ofSeconds(60), c.limits().timeout());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            timeout = soon              | listeners[0].timeout: expected a duration
            timeout = 10ms              | listeners[0].timeout: expected at least
            max-errors = 0              | listeners[0].max-errors: expected a number from 1 to 1000
            line-length = 10            | listeners[0].line-length: expected a size from 64
            proxy-timeout = forever     | listeners[0].proxy-timeout: expected a duration
            relay-buffer-size = 100     | listeners[0].relay-buffer-size: expected a size from 512
            relay-buffer-size = 1g      | listeners[0].relay-buffer-size: expected a size from 512
            literal-size = 1k           | listeners[0].literal-size: unknown key
            """)
    void badOverridesNameTheKey(String keys, String expected) {
        String m = error("protocol = imap, listen = \"127.0.0.1:0\", " + keys);
        assertTrue(m.contains("mailproxy." + expected), m);
        assertTrue(m.contains("my.conf:"), m);
    }

    // ------------------------------------------------------------ PROXY protocol

    @Test
    void proxyProtocolIsOffByDefault() {
        ListenerConfig l = only("protocol = imap, listen = \"127.0.0.1:0\"");
        assertFalse(l.proxyProtocol());
        assertTrue(l.trustedProxies().isEmpty());
    }

    @Test
    void proxyProtocolWithTrustedProxies() throws Exception {
        ListenerConfig l = only("protocol = smtp, listen = \"127.0.0.1:0\", proxy-protocol = true, "
                + "trusted-proxies = [\"10.0.0.0/8\", \"192.0.2.7\", \"2001:db8::/32\"]");
        assertTrue(l.proxyProtocol());
        assertTrue(l.trustedProxies().contains(InetAddress.getByName("10.20.30.40")));
        assertTrue(l.trustedProxies().contains(InetAddress.getByName("192.0.2.7")));
        assertTrue(l.trustedProxies().contains(InetAddress.getByName("2001:db8::99")));
        assertFalse(l.trustedProxies().contains(InetAddress.getByName("192.0.2.8")));
    }

    @Test
    void proxyProtocolWithoutTrustedProxiesStopsStartupNamingTheKey() {
        String m = error("protocol = imap, listen = \"127.0.0.1:0\", proxy-protocol = true");
        assertTrue(m.contains("mailproxy.listeners[0].trusted-proxies") && m.contains("proxy-protocol = true"), m);
    }

    @ParameterizedTest
    @ValueSource(strings = {"[\"10.0.0.0/33\"]", "[\"lb.example.org\"]", "[\"10.1.2.3/8\"]", "[\"\"]", "\"10.0.0.0/8\""})
    void badTrustedProxiesNameTheKey(String value) {
        String m = error("protocol = imap, listen = \"127.0.0.1:0\", proxy-protocol = true, trusted-proxies = " + value);
        assertTrue(m.contains("mailproxy.listeners[0].trusted-proxies: expected") || m.contains("mailproxy.listeners[0].trusted-proxies: '"), m);
    }

    @Test
    void proxyProtocolMustBeABoolean() {
        String m = error("protocol = imap, listen = \"127.0.0.1:0\", proxy-protocol = v2");
        assertTrue(m.contains("mailproxy.listeners[0].proxy-protocol: expected true or false"), m);
    }

    // ------------------------------------------------------------ smtp-capabilities

    @Test
    void smtpCapabilitiesAreKeptAsWritten() {
        ListenerConfig l = only("protocol = smtp, listen = \"127.0.0.1:0\", smtp-capabilities = [\"DSN\", \"SMTPUTF8\", \"X-FOO bar=1 baz\"]");
        assertEquals(List.of("DSN", "SMTPUTF8", "X-FOO bar=1 baz"), l.options(SmtpOptions.class).capabilities());
        assertEquals(List.of(), only("protocol = smtp, listen = \"127.0.0.1:0\"").options(SmtpOptions.class).capabilities());
    }

    @Test
    void smtpCapabilitiesMeanNothingOnOtherListeners() {
        ProxyConfig c = parse("""
                listener-defaults { smtp-capabilities = ["DSN"] }
                listeners = [ { protocol = imap, listen = "127.0.0.1:0" }, { protocol = smtp, listen = "127.0.0.1:0" } ]
                """);
        assertFalse(c.listeners().get(0).options() instanceof SmtpOptions, "an imap listener has no SMTP options");
        assertEquals(List.of("DSN"), c.listeners().get(1).options(SmtpOptions.class).capabilities());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            CHUNKING          | CHUNKING cannot be offered
            chunking          | CHUNKING cannot be offered
            BDAT              | BDAT cannot be offered
            STARTTLS          | STARTTLS is announced by the proxy itself
            AUTH PLAIN LOGIN  | AUTH is announced by the proxy itself
            SIZE 1000         | SIZE is announced by the proxy itself (set smtp-size)
            PIPELINING        | PIPELINING is announced by the proxy itself
            DSN SMTPUTF8\\r\\nX | expected one EHLO keyword per entry
            DSN\\nAUTH PLAIN   | expected one EHLO keyword per entry
            DSN  X            | expected one EHLO keyword per entry
            -DSN              | expected one EHLO keyword per entry
            DS_N              | expected one EHLO keyword per entry
            'DSN '            | expected one EHLO keyword per entry
            DSN\\r\\n        | expected one EHLO keyword per entry
            ''                | expected one EHLO keyword per entry
            """)
    void badSmtpCapabilitiesNameTheKey(String entry, String expected) {
        // \r and \n in the table are HOCON escapes: the entry holds a real CR / LF
        String m = error("protocol = smtp, listen = \"127.0.0.1:0\", smtp-capabilities = [\"" + entry + "\"]");
        assertTrue(m.contains("mailproxy.listeners[0].smtp-capabilities: " + expected), m);
        assertTrue(m.chars().noneMatch(ch -> ch == '\r' || ch == '\n'), "one line: " + m);
    }

    // ------------------------------------------------------------ auth none

    @Test
    void authNoneOnSmtpIsAFlagNotAMechanism() {
        ListenerConfig l = only("protocol = smtp, listen = \"127.0.0.1:0\", auth = [plain, login, none]");
        assertTrue(l.options(SmtpOptions.class).authNone());
        assertEquals(List.of("plain", "login"), l.auth());
        assertFalse(l.offers("none"));
        assertTrue(l.offers("PLAIN"));
        ListenerConfig onlyNone = only("protocol = smtp, listen = \"127.0.0.1:0\", auth = [NONE]");
        assertTrue(onlyNone.options(SmtpOptions.class).authNone());
        assertEquals(List.of(), onlyNone.auth());
        assertFalse(only("protocol = smtp, listen = \"127.0.0.1:0\"").options(SmtpOptions.class).authNone());
    }

    @ParameterizedTest
    @ValueSource(strings = {"imap", "pop3"})
    void authNoneIsForSmtpOnly(String protocol) {
        String m = error("protocol = " + protocol + ", listen = \"127.0.0.1:0\", auth = [plain, none]");
        assertTrue(m.contains("mailproxy.listeners[0].auth: none is for smtp listeners only"), m);
    }

    // ------------------------------------------------------------ EXTERNAL

    @ParameterizedTest
    @ValueSource(strings = {"imap", "pop3", "smtp"})
    void externalIsNotOfferedWithoutTls(String protocol) {
        ListenerConfig l = only("protocol = " + protocol + ", listen = \"127.0.0.1:0\", auth = [plain, external]");
        assertEquals(List.of("plain"), l.auth());
        assertFalse(l.offers("external"));
    }

    @Test
    void externalNeedsAListenerThatAsksForClientCertificates(@TempDir Path dir) throws Exception {
        SiteCertificates certs = SiteCertificates.shared();
        String tls = certs.listenerTls();
        String ca = "tls-client-ca = \"" + certs.caCert + "\"";
        ProxyConfig c = parse("""
                listener-defaults { auth = [plain, external] }
                listeners = [
                  { protocol = imap, listen = "127.0.0.1:0", tls = implicit, %s }
                  { protocol = imap, listen = "127.0.0.1:0", starttls = on, %s, tls-client-auth = none }
                  { protocol = pop3, listen = "127.0.0.1:0", starttls = only, %s, tls-client-auth = optional, %s }
                  { protocol = smtp, listen = "127.0.0.1:0", tls = implicit, %s, tls-client-auth = required, %s }
                  { protocol = smtp, listen = "127.0.0.1:0", tls-client-auth = required, %s }
                ]
                """.formatted(tls, tls, tls, ca, tls, ca, ca));
        List<ListenerConfig> l = c.listeners();
        assertEquals(List.of("plain"), l.get(0).auth(), "TLS without client certificates");
        assertEquals(List.of("plain"), l.get(1).auth(), "STARTTLS, client-auth none");
        assertEquals(List.of("plain", "external"), l.get(2).auth());
        assertTrue(l.get(2).offers("EXTERNAL"));
        assertEquals(List.of("plain", "external"), l.get(3).auth());
        assertEquals(List.of("plain"), l.get(4).auth(), "client-auth set, but no TLS at all");
    }
}
