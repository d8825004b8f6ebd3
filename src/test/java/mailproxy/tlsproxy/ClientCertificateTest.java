package mailproxy.tlsproxy;

import static mailproxy.tlsproxy.TlsClients.eventually;
import static mailproxy.tlsproxy.TlsClients.implicit;
import static mailproxy.tlsproxy.TlsClients.upgrade;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLContext;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client certificates (tls-client-auth = required | optional, tls-client-ca) and SASL
 * EXTERNAL (RFC 4422 appendix A) on IMAP, POP3 and SMTP: the verified certificate's CN is
 * the user the router and the backend see; no certificate, or one the CA did not sign,
 * gets no EXTERNAL (and with required, no session).
 */
@Timeout(30)
class ClientCertificateTest {
    @TempDir
    static Path dir;
    static TestCertificates certs;
    static FakeBackends.Recorder recorder = new FakeBackends.Recorder();
    static ScriptedServer imapBackend;
    static ScriptedServer pop3Backend;
    static ScriptedServer smtpBackend;
    static TestProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        certs = TestCertificates.create(dir);
        imapBackend = FakeBackends.imap(recorder);
        pop3Backend = FakeBackends.pop3(recorder);
        smtpBackend = FakeBackends.smtp(recorder);
        String req = certs.listenerTls() + ", tls-client-auth = required, tls-client-ca = \"" + certs.caCert + "\"";
        String opt = certs.listenerTls() + ", tls-client-auth = optional, tls-client-ca = \"" + certs.caCert + "\"";
        proxy = TestProxy.start("""
                mailproxy {
                  limits { timeout = 5s }
                  backends { store { host = "127.0.0.1", imap { port = %d }, pop3 { port = %d },
                                     smtp { port = %d, auth = plain } } }
                  routers { r { type = static, default = store } }
                  default-router = r
                  listener-defaults { auth = [plain, external] }
                  listeners = [
                    { name = imaps-req, protocol = imap, listen = "127.0.0.1:0", tls = implicit, %s }
                    { name = pop3s-req, protocol = pop3, listen = "127.0.0.1:0", tls = implicit, %s }
                    { name = smtps-req, protocol = smtp, listen = "127.0.0.1:0", tls = implicit, %s }
                    { name = imap-opt, protocol = imap, listen = "127.0.0.1:0", starttls = on, %s }
                    { name = pop3-opt, protocol = pop3, listen = "127.0.0.1:0", starttls = on, %s }
                    { name = smtp-opt, protocol = smtp, listen = "127.0.0.1:0", starttls = on, %s }
                  ]
                }
                """.formatted(imapBackend.port(), pop3Backend.port(), smtpBackend.port(), req, req, req, opt, opt, opt));
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) proxy.close();
        for (ScriptedServer s : new ScriptedServer[] {imapBackend, pop3Backend, smtpBackend}) if (s != null) s.close();
    }

    @BeforeEach
    void clear() {
        recorder.logins.clear();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static void skipSmtpReply(RawClient c) throws IOException {
        for (int i = 0; i < 50; i++) {
            String l = c.readLine();
            if (l == null || l.length() < 4 || l.charAt(3) == ' ') return;
        }
    }

    // ------------------------------------------------------------ required

    @Test
    void requiredRefusesClientsWithoutACertificateTheCaSigned() throws Exception {
        int before = backendConnections();
        for (SSLContext client : List.of(certs.clientContext(), certs.clientContext(certs.rogueP12))) {
            for (String listener : List.of("imaps-req", "pop3s-req", "smtps-req")) {
                try (RawClient c = implicit(proxy.port(listener), client)) {
                    // TLS 1.3: the client's side of the handshake is done before the server
                    // has looked at its certificate; the refusal comes as an alert instead
                    // of the greeting
                    String greeting = c.readLine();
                    fail(listener + ": a greeting without a valid client certificate: " + greeting);
                } catch (IOException expected) {
                    // bad_certificate / certificate_required alert
                }
            }
        }
        assertTrue(eventually(Duration.ofSeconds(5), () -> proxy.activeSessions() == 0));
        assertEquals(before, backendConnections());
    }

    private static int backendConnections() {
        return imapBackend.accepted() + pop3Backend.accepted() + smtpBackend.accepted();
    }

    @Test
    void imapExternalWithTheCertificateLogsInAsItsCn() throws Exception {
        try (RawClient c = implicit(proxy.port("imaps-req"), certs.clientContext(certs.clientP12))) {
            String greeting = c.expect("* OK [CAPABILITY ");
            assertTrue(greeting.contains("AUTH=EXTERNAL"), greeting);
            // an authorization identity other than the certificate's is refused
            c.line("a AUTHENTICATE EXTERNAL " + b64("alice"));
            c.expect("a NO [AUTHENTICATIONFAILED]");
            // SASL-IR "=": empty authorization identity, i.e. the certificate's
            c.line("b AUTHENTICATE EXTERNAL =");
            c.expect("b OK");
            assertEquals("bob ", recorder.nextLogin());
            c.line("c LOGOUT");
            c.expect("* BYE");
        }
        try (RawClient c = implicit(proxy.port("imaps-req"), certs.clientContext(certs.clientP12))) {
            c.expect("* OK");
            c.line("a AUTHENTICATE EXTERNAL"); // no initial response: an empty challenge first
            c.expect("+");
            c.line(b64("bob"));
            c.expect("a OK");
            assertEquals("bob ", recorder.nextLogin());
        }
    }

    @Test
    void pop3ExternalWithTheCertificateLogsInAsItsCn() throws Exception {
        try (RawClient c = implicit(proxy.port("pop3s-req"), certs.clientContext(certs.clientP12))) {
            c.expect("+OK");
            c.line("AUTH");
            c.expect("+OK");
            assertEquals("PLAIN", c.readLine());
            assertEquals("EXTERNAL", c.readLine());
            assertEquals(".", c.readLine());
            c.line("AUTH EXTERNAL =");
            c.expect("+OK fake logged in");
            assertEquals("bob ", recorder.nextLogin());
            c.line("QUIT");
            c.expect("+OK");
        }
    }

    @Test
    void smtpExternalWithTheCertificateLogsInAsItsCn() throws Exception {
        try (RawClient c = implicit(proxy.port("smtps-req"), certs.clientContext(certs.clientP12))) {
            c.expect("220");
            c.line("EHLO client.example");
            skipSmtpReply(c);
            c.line("AUTH EXTERNAL " + b64("bob"));
            c.expect("235");
            assertEquals("bob ", recorder.nextLogin());
            c.line("QUIT");
            c.expect("221");
        }
    }

    // ------------------------------------------------------------ optional, over STARTTLS

    @Test
    void optionalWithTheCertificateAllowsExternalAfterStartTls() throws Exception {
        SSLContext bob = certs.clientContext(certs.clientP12);
        try (RawClient plain = RawClient.connect(proxy.port("imap-opt"))) {
            plain.expect("* OK");
            plain.line("a AUTHENTICATE EXTERNAL ="); // no TLS, no certificate
            plain.expect("a NO [AUTHENTICATIONFAILED]");
            plain.line("b STARTTLS");
            plain.expect("b OK");
            RawClient c = upgrade(plain, bob);
            c.line("c AUTHENTICATE EXTERNAL =");
            c.expect("c OK");
            assertEquals("bob ", recorder.nextLogin());
        }
        try (RawClient plain = RawClient.connect(proxy.port("pop3-opt"))) {
            plain.expect("+OK");
            plain.line("STLS");
            plain.expect("+OK");
            RawClient c = upgrade(plain, bob);
            c.line("AUTH EXTERNAL =");
            c.expect("+OK fake logged in");
            assertEquals("bob ", recorder.nextLogin());
        }
        try (RawClient plain = RawClient.connect(proxy.port("smtp-opt"))) {
            plain.expect("220");
            plain.line("EHLO client.example");
            skipSmtpReply(plain);
            plain.line("STARTTLS");
            plain.expect("220");
            RawClient c = upgrade(plain, bob);
            c.line("EHLO client.example");
            skipSmtpReply(c);
            c.line("AUTH EXTERNAL =");
            c.expect("235");
            assertEquals("bob ", recorder.nextLogin());
        }
    }

    @Test
    void optionalWithoutOrWithAnUnsignedCertificateRefusesExternalButAllowsPasswords() throws Exception {
        for (SSLContext client : List.of(certs.clientContext(), certs.clientContext(certs.rogueP12))) {
            try (RawClient plain = RawClient.connect(proxy.port("imap-opt"))) {
                plain.expect("* OK");
                plain.line("a STARTTLS");
                plain.expect("a OK");
                RawClient c = upgrade(plain, client);
                c.line("b AUTHENTICATE EXTERNAL =");
                c.expect("b NO [AUTHENTICATIONFAILED]");
                c.line("c LOGIN bob pw");
                c.expect("c OK");
                assertEquals("bob pw", recorder.nextLogin());
            }
            try (RawClient plain = RawClient.connect(proxy.port("pop3-opt"))) {
                plain.expect("+OK");
                plain.line("STLS");
                plain.expect("+OK");
                RawClient c = upgrade(plain, client);
                c.line("AUTH EXTERNAL =");
                c.expect("-ERR [AUTH] Authentication failed.");
            }
            try (RawClient plain = RawClient.connect(proxy.port("smtp-opt"))) {
                plain.expect("220");
                plain.line("EHLO client.example");
                skipSmtpReply(plain);
                plain.line("STARTTLS");
                plain.expect("220");
                RawClient c = upgrade(plain, client);
                c.line("EHLO client.example");
                skipSmtpReply(c);
                c.line("AUTH EXTERNAL =");
                c.expect("535 5.7.8 ");
            }
        }
        assertTrue(recorder.logins.isEmpty(), recorder.logins.toString());
    }
}
