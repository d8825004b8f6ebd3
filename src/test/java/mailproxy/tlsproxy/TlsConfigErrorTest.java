package mailproxy.tlsproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import mailproxy.config.ConfigException;
import mailproxy.config.ConfigLoader;
import mailproxy.config.ProxyConfig;
import mailproxy.tls.TlsProvider;
import mailproxy.testing.SiteCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS settings that cannot work stop startup (and --check) with one line naming the file,
 * the key and what is wrong: a key that does not belong to its certificate, a file that
 * is missing or not a certificate, TLS 1.1, an unknown cipher, a client-auth without CA.
 */
@Timeout(30)
class TlsConfigErrorTest {
    @TempDir
    static Path dir;
    static final SiteCertificates certs = SiteCertificates.shared();

    private static String listener(String tlsKeys) {
        return """
                mailproxy {
                  backends { b { host = "127.0.0.1", imap { port = 143 } } }
                  routers { r { type = static, default = b } }
                  listeners = [ { name = imaps, protocol = imap, listen = "127.0.0.1:0", router = r, tls = implicit,
                                  %s } ]
                }
                """.formatted(tlsKeys);
    }

    private static String backend(String keys) {
        return """
                mailproxy {
                  backends { b { host = "127.0.0.1", imap { port = 993, tls = implicit }, %s } }
                  routers { r { type = static, default = b } }
                  listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0", router = r } ]
                }
                """.formatted(keys);
    }

    /** Loads the config from a file (as Main does) and returns the error message. */
    private static String error(String hocon) throws Exception {
        Path file = Files.writeString(Files.createTempFile(dir, "mailproxy", ".conf"), hocon);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        String m = e.getMessage();
        assertTrue(m.startsWith("config error in " + file), m);
        assertTrue(!m.contains("\n"), "one line: " + m);
        return m;
    }

    private static void assertMentions(String message, String... parts) {
        for (String p : parts) assertTrue(message.contains(p), "'" + p + "' missing from: " + message);
    }

    /** A TLS listener with {@code extraKeys} after its certificates fails to start, the error naming each of {@code mentions}. */
    private static void assertListenerRefused(String extraKeys, String... mentions) throws Exception {
        assertMentions(error(listener(certs.listenerTls() + extraKeys)), mentions);
    }

    @Test
    void keyOfAnotherCertificate() throws Exception {
        String m = error(listener("tls-certificates = [ { certificate = \"" + certs.server.cert() + "\", key = \""
                + certs.other.key() + "\" } ]"));
        assertMentions(m, "mailproxy.listeners[0].tls-certificates", certs.other.key().toString(), "does not match");
    }

    @Test
    void missingCertificateFile() throws Exception {
        Path missing = dir.resolve("no-such.pem");
        String m = error(listener("tls-certificates = [ { certificate = \"" + missing + "\", key = \"" + certs.server.key() + "\" } ]"));
        assertMentions(m, "tls-certificates", missing.toString());
    }

    @Test
    void unreadableKeyFile() throws Exception {
        // a directory: unreadable as a file even for root (who reads any mode 000 file)
        Path notAFile = Files.createDirectories(dir.resolve("key-dir.pem"));
        String m = error(listener("tls-certificates = [ { certificate = \"" + certs.server.cert() + "\", key = \"" + notAFile + "\" } ]"));
        assertMentions(m, "tls-certificates", notAFile.toString());
    }

    @Test
    void fileThatIsNotPem() throws Exception {
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "this is not a certificate\n");
        String m = error(listener("tls-certificates = [ { certificate = \"" + garbage + "\", key = \"" + certs.server.key() + "\" } ]"));
        assertMentions(m, "tls-certificates", garbage.toString());
    }

    @Test
    void wrongPkcs12Password() throws Exception {
        String m = error(listener("tls-certificates = [ { pkcs12 = \"" + certs.serverP12 + "\", password = wrong } ]"));
        assertMentions(m, "tls-certificates", certs.serverP12.toString());
    }

    @Test
    void noCertificateAtAll() throws Exception {
        assertMentions(error(listener("tls-certificates = []")), "tls-certificates");
    }

    @Test
    void oldProtocolIsRefusedNamingTheKey() throws Exception {
        assertListenerRefused(", tls-protocols = [ \"TLSv1.1\" ]", "mailproxy.listeners[0].tls-protocols", "TLSv1.1");
    }

    @Test
    void unknownCipherIsRefusedNamingTheKey() throws Exception {
        assertListenerRefused(", tls-ciphers = [ \"ECDHE-RSA-AES128-GCM-SHA256\" ]", "mailproxy.listeners[0].tls-ciphers", "ECDHE-RSA-AES128-GCM-SHA256");
    }

    @Test
    void clientAuthNeedsAReadableCa() throws Exception {
        assertMentions(error(listener(certs.listenerTls() + ", tls-client-auth = required")), "tls-client-ca");
        Path missing = dir.resolve("no-ca.pem");
        assertListenerRefused(", tls-client-auth = optional, tls-client-ca = \"" + missing + "\"", "mailproxy.listeners[0].tls-client-ca", missing.toString());
    }

    @Test
    void backendCaFileMissing() throws Exception {
        Path missing = dir.resolve("no-backend-ca.pem");
        String m = error(backend("tls-ca = \"" + missing + "\""));
        assertMentions(m, "mailproxy.backends.b", "tls-ca", missing.toString());
    }

    @Test
    void backendClientKeyOfAnotherCertificate() throws Exception {
        String m = error(backend("tls-certificate = \"" + certs.client.cert() + "\", tls-key = \"" + certs.server.key() + "\""));
        assertMentions(m, "mailproxy.backends.b", "tls-key", "does not match");
    }

    @Test
    void backendVerifyOffWithACaIsContradictory() throws Exception {
        String m = error(backend("tls-verify = false, tls-ca = \"" + certs.caCert + "\""));
        assertMentions(m, "mailproxy.backends.b.tls-verify");
    }

    @Test
    void startTlsWithImplicitTlsIsContradictory() throws Exception {
        assertMentions(error(listener(certs.listenerTls() + ", starttls = on")), "mailproxy.listeners[0].starttls");
    }

    @Test
    void unknownTlsProviderNamesTheKey() throws Exception {
        String m = error(listener(certs.listenerTls()).replace("mailproxy {", "mailproxy {\n  tls-provider = boringssl"));
        assertMentions(m, "mailproxy.tls-provider", "expected one of auto, jdk, openssl", "boringssl");
        m = error(listener(certs.listenerTls() + ", tls-provider = native"));
        assertMentions(m, "mailproxy.listeners[0].tls-provider", "expected one of auto, jdk, openssl");
    }

    @Test
    void tls13SuitesCannotBeChosenWithOpenssl() throws Exception {
        assertListenerRefused(", tls-provider = openssl, tls-ciphers = [ \"TLS_AES_256_GCM_SHA384\" ]", "mailproxy.listeners[0].tls-ciphers", "cannot choose among the TLS 1.3 suites");
    }

    /** Session resumption keys: a ticket key file that cannot serve, and what a provider cannot do. */
    @Test
    void sessionResumptionKeysNameTheKey() throws Exception {
        Path missing = dir.resolve("no-such-ticket.key");
        assertListenerRefused(", tls-ticket-keys = [\"" + missing + "\"]",
                "mailproxy.listeners[0].tls-ticket-keys", missing + " does not exist");
        Path short32 = Files.write(dir.resolve("short.key"), new byte[32]);
        assertListenerRefused(", tls-ticket-keys = \"" + short32 + "\"",
                "mailproxy.listeners[0].tls-ticket-keys", "must be 48 or 80 bytes, not 32");
        assertListenerRefused(", tls-tickets = false, tls-ticket-keys = [\"" + short32 + "\"]",
                "mailproxy.listeners[0].tls-ticket-keys", "make no sense");
        assertListenerRefused(", tls-provider = jdk, tls-tickets = false",
                "mailproxy.listeners[0].tls-tickets", "cannot turn session tickets off");
        assertListenerRefused(", tls-session-cache = -1", "mailproxy.listeners[0].tls-session-cache");
        assertListenerRefused(", tls-session-timeout = 0s", "mailproxy.listeners[0].tls-session-timeout");
    }

    /** The global key, and a listener's own tls-provider over it. */
    @Test
    void providerIsGlobalAndAListenerMayOverrideIt() {
        ProxyConfig c = ConfigLoader.parse("""
                mailproxy {
                  tls-provider = openssl
                  backends { b { host = "127.0.0.1", imap { port = 143 } } }
                  routers { r { type = static, default = b } }
                  listeners = [
                    { name = a, protocol = imap, listen = "127.0.0.1:0", router = r, tls = implicit, %1$s }
                    { name = b, protocol = imap, listen = "127.0.0.1:0", router = r, tls = implicit, %1$s,
                      tls-provider = jdk }
                  ]
                }
                """.formatted(certs.listenerTls()), "test.conf");
        assertEquals(TlsProvider.OPENSSL, c.listeners().get(0).tls().server().provider());
        assertEquals(TlsProvider.JDK, c.listeners().get(1).tls().server().provider());
        ProxyConfig d = ConfigLoader.parse(listener(certs.listenerTls()), "test.conf");
        // The default: openssl where BoringSSL loads (here: the suite's machines are Linux x86_64), else the JDK.
        assertEquals(TlsProvider.OPENSSL.unavailable() == null ? TlsProvider.OPENSSL : TlsProvider.JDK,
                d.listeners().get(0).tls().server().provider(), "the default");
    }
}
