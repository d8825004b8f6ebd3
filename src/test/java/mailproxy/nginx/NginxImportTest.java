package mailproxy.nginx;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import mailproxy.config.ConfigLoader;
import mailproxy.config.ProxyConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The import on the mail { } examples of nginx's documentation and on two configs of our
 * own: the exit status, the output line by line where an expected file exists, and that
 * the output loads as a mailproxy config (certificates included).
 */
class NginxImportTest {
    @TempDir
    static Path dir;
    static NginxFixtures fx;

    @BeforeAll
    static void setUp() throws IOException {
        fx = NginxFixtures.create(dir);
    }

    @ParameterizedTest(name = "{0} → exit {1}")
    @CsvSource({
            "core-example.conf, 0",
            "ssl-example.conf, 3",          // ssl_ciphers, no server_name
            "ssl-two-certificates.conf, 0",
            "ssl-password-file.conf, 3",    // servers without protocol or listen
            "realip-example.conf, 0",
            "directive-examples.conf, 3",   // resolver, unix: listen, ssl_ecdh_curve, ssl_conf_command
            "translatable.conf, 0",
            "all-variants.conf, 3"})
    void exitStatus(String file, int exit) {
        NginxFixtures.Run r = NginxFixtures.run(fx.conf.resolve(file));
        assertEquals(exit, r.exit(), r.err() + r.out());
        if (exit == 0) assertEquals("", r.err());
        if (exit == 3) {
            // every untranslated directive is named on stderr and in the comments on top
            for (String line : r.err().split("\n")) {
                assertTrue(line.startsWith("mailproxy: not translated: "), line);
                assertTrue(r.out().contains("#   " + line.substring("mailproxy: not translated: ".length())), line);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"translatable.conf", "core-example.conf", "all-variants.conf"})
    void outputLineByLine(String file) throws IOException {
        NginxFixtures.Run r = NginxFixtures.run(fx.conf.resolve(file));
        List<String> expected = fx.expected(file).lines().toList();
        List<String> actual = r.out().lines().toList();
        for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
            assertEquals(expected.get(i), actual.get(i), file + " line " + (i + 1));
        }
        assertEquals(expected.size(), actual.size(), file + ": number of lines");
    }

    /** Outputs that use only keys this branch has: they must load, certificates and all. */
    @ParameterizedTest
    @ValueSource(strings = {"ssl-example.conf", "ssl-two-certificates.conf", "ssl-password-file.conf",
            "directive-examples.conf", "translatable.conf"})
    void outputLoadsAsMailproxyConfig(String file) {
        String out = NginxFixtures.run(fx.conf.resolve(file)).out();
        ProxyConfig cfg = assertDoesNotThrow(() -> ConfigLoader.parse(out, "import"), out);
        assertTrue(cfg.listeners().size() >= (file.equals("ssl-password-file.conf") ? 0 : 1));
    }

    /**
     * Outputs with listener keys (proxy-protocol, trusted-proxies, timeout, max-errors,
     * line-length, proxy-timeout, relay-buffer-size, smtp-capabilities, auth = [.., none]) and
     * the backend proxy-protocol key that the edge branch adds.
     */
    @ParameterizedTest
    @ValueSource(strings = {"core-example.conf", "realip-example.conf", "all-variants.conf"})
    void outputWithEdgeKeysLoadsAsMailproxyConfig(String file) {
        String out = NginxFixtures.run(fx.conf.resolve(file)).out();
        ProxyConfig cfg = assertDoesNotThrow(() -> ConfigLoader.parse(out, "import"), out);
        assertTrue(cfg.listeners().size() >= 1);
    }

    @Test
    void theTranslatedConfigSaysWhatNginxDid() {
        ProxyConfig cfg = ConfigLoader.parse(NginxFixtures.run(fx.conf.resolve("translatable.conf")).out(), "import");
        assertEquals("mail.example.test", cfg.serverName());
        assertEquals(5, cfg.listeners().size());
        var imaps = cfg.listeners().get(1);
        assertTrue(imaps.tls().implicit());
        assertEquals(List.of("plain", "login", "external"), imaps.auth());
        var pop3 = cfg.listeners().get(2);
        assertTrue(pop3.options(mailproxy.config.Pop3Options.class).apop());
        assertEquals(List.of("TOP", "UIDL"), pop3.options(mailproxy.config.Pop3Options.class).capabilities()); // USER is mailproxy's own
        var mx = cfg.listeners().get(3);
        assertEquals(mailproxy.config.SmtpOptions.Mode.MX, mx.options(mailproxy.config.SmtpOptions.class).mode());
        assertEquals(java.time.Duration.ofSeconds(1), mx.options(mailproxy.config.SmtpOptions.class).greetingDelay());
        var submission = cfg.listeners().get(4);
        assertEquals(25L << 20, submission.options(mailproxy.config.SmtpOptions.class).size());
        var router = (mailproxy.config.RouterConfig.AuthHttp) cfg.routers().get(submission.router());
        assertEquals(java.time.Duration.ofSeconds(5), router.timeout());
        assertEquals("nginx \"mail\"", router.headers().get("X-Proxy"));
        var options = cfg.backends().get(router.backendTemplate()).smtp();
        assertTrue(options.xclient()); // nginx's xclient default is on
        assertEquals(mailproxy.config.Backend.SmtpAuth.PLAIN, options.auth()); // proxy_smtp_auth on
    }

    /** ssl_session_cache, ssl_session_timeout, ssl_session_tickets, ssl_session_ticket_key. */
    @Test
    void sessionResumptionDirectives() throws java.io.IOException {
        String shared = NginxFixtures.run(fx.conf.resolve("directive-examples.conf")).out();
        assertTrue(shared.contains("tls-session-cache = 40960"), shared); // shared:SSL:10m at nginx's 4000 a megabyte
        assertTrue(shared.contains("tls-ticket-keys = [\"" + fx.conf.resolve("current.key") + "\", \""
                + fx.conf.resolve("previous.key") + "\"]"), shared);
        assertTrue(NginxFixtures.run(fx.conf.resolve("ssl-example.conf")).out().contains("tls-session-timeout = 10m"));
        Path off = java.nio.file.Files.writeString(dir.resolve("sessions-off.conf"), """
                mail {
                    server_name mail.example.test;
                    auth_http 127.0.0.1:9000/auth;
                    ssl_session_cache none;
                    server {
                        listen 993 ssl;
                        protocol imap;
                        ssl_certificate     %s;
                        ssl_certificate_key %s;
                        ssl_session_timeout 1h30m;
                        ssl_session_tickets off;
                        ssl_session_ticket_key current.key;
                    }
                }
                """.formatted(fx.certs.resolve("server.pem"), fx.certs.resolve("server.key")));
        NginxFixtures.Run r = NginxFixtures.run(off);
        assertEquals(3, r.exit(), r.err() + r.out());
        assertTrue(r.err().contains("ssl_session_tickets off: mailproxy cannot turn TLS 1.3 session tickets off"), r.err());
        for (String key : List.of("tls-session-cache = 0", "tls-session-timeout = 90m")) {
            assertTrue(r.out().contains(key), key + " in\n" + r.out());
        }
        assertFalse(r.out().contains("tls-tickets"), r.out());
        assertFalse(r.out().contains("tls-ticket-keys"), r.out()); // nginx reads no keys with tickets off
        // Without TLS 1.3 the tickets can go.
        Path only12 = java.nio.file.Files.writeString(dir.resolve("sessions-off-12.conf"),
                java.nio.file.Files.readString(off).replace("ssl_session_tickets off;",
                        "ssl_session_tickets off; ssl_protocols TLSv1.2;"));
        r = NginxFixtures.run(only12);
        assertEquals(0, r.exit(), r.err() + r.out());
        assertTrue(r.out().contains("tls-tickets = false"), r.out());
        assertDoesNotThrow(() -> ConfigLoader.parse(NginxFixtures.run(only12).out(), "import"));
    }

    @Test
    void unreadableFilesExitOneWithFileAndLine() {
        NginxFixtures.Run missing = NginxFixtures.run(dir.resolve("nope.conf"));
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("nope.conf: cannot read: no such file"), missing.err());
        assertEquals("", missing.out());
    }
}
