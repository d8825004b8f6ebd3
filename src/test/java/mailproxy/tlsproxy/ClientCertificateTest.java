package mailproxy.tlsproxy;

import static mailproxy.testing.Sasl.b64;
import static mailproxy.tlsproxy.TlsClients.implicit;
import static mailproxy.tlsproxy.TlsClients.startTls;
import static mailproxy.tlsproxy.TlsClients.upgrade;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.util.List;
import javax.net.ssl.SSLContext;
import mailproxy.testing.RawClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Client certificates (tls-client-auth = required | optional, tls-client-ca) and SASL
 * EXTERNAL (RFC 4422 appendix A) on IMAP, POP3 and SMTP: the verified certificate's CN is
 * the user the router and the backend see; no certificate, or one the CA did not sign,
 * gets no EXTERNAL (and with required, no session).
 */
@Timeout(30)
class ClientCertificateTest {
    @RegisterExtension
    static final TlsFixture f = TlsFixture.withFakeBackends(certs -> {
        String ca = ", tls-client-ca = \"" + certs.caCert + "\"";
        String req = certs.listenerTls() + ", tls-client-auth = required" + ca;
        String opt = certs.listenerTls() + ", tls-client-auth = optional" + ca;
        return """
                limits { timeout = 5s }
                listener-defaults { auth = [plain, external] }
                listeners = [
                %s%s]
                """.formatted(TlsFixture.perProtocol("%ss-req", "tls = implicit, " + req),
                TlsFixture.perProtocol("%s-opt", "starttls = on, " + opt));
    });

    @BeforeEach
    void clear() {
        f.clearLogins();
    }

    private static SSLContext bob() {
        return f.certs.clientContext(f.certs.clientP12);
    }

    // ------------------------------------------------------------ required

    @Test
    void requiredRefusesClientsWithoutACertificateTheCaSigned() throws Exception {
        int before = f.backendConnections();
        for (SSLContext client : List.of(f.certs.clientContext(), f.certs.clientContext(f.certs.rogueP12))) {
            for (String listener : List.of("imaps-req", "pop3s-req", "smtps-req")) {
                try (RawClient c = implicit(f.port(listener), client)) {
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
        assertTrue(f.noSessionsLeft());
        assertEquals(before, f.backendConnections());
    }

    @Test
    void imapExternalWithTheCertificateLogsInAsItsCn() throws Exception {
        try (RawClient c = implicit(f.port("imaps-req"), bob())) {
            String greeting = c.expect("* OK [CAPABILITY ");
            assertTrue(greeting.contains("AUTH=EXTERNAL"), greeting);
            c.transcript("""
                    # an authorization identity other than the certificate's is refused
                    C: a AUTHENTICATE EXTERNAL %s
                    S: a NO [AUTHENTICATIONFAILED]...
                    # SASL-IR "=": empty authorization identity, i.e. the certificate's
                    C: b AUTHENTICATE EXTERNAL =
                    S: b OK...
                    """.formatted(b64("alice")));
            assertEquals("bob ", f.imap.nextLogin());
            c.transcript("""
                    C: c LOGOUT
                    S: * BYE...
                    """);
        }
        try (RawClient c = implicit(f.port("imaps-req"), bob())) {
            c.transcript("""
                    S: * OK...
                    # no initial response: an empty challenge first
                    C: a AUTHENTICATE EXTERNAL
                    S: +...
                    C: %s
                    S: a OK...
                    """.formatted(b64("bob")));
            assertEquals("bob ", f.imap.nextLogin());
        }
    }

    @Test
    void pop3ExternalWithTheCertificateLogsInAsItsCn() throws Exception {
        try (RawClient c = implicit(f.port("pop3s-req"), bob())) {
            c.transcript("""
                    S: +OK...
                    C: AUTH
                    S: +OK...
                    S: PLAIN
                    S: EXTERNAL
                    S: .
                    C: AUTH EXTERNAL =
                    S: +OK Logged in.
                    """);
            assertEquals("bob ", f.pop3.nextLogin());
            c.line("QUIT");
            c.expect("+OK");
        }
    }

    @Test
    void smtpExternalWithTheCertificateLogsInAsItsCn() throws Exception {
        try (RawClient c = implicit(f.port("smtps-req"), bob())) {
            c.expect("220");
            c.line("EHLO client.example");
            c.smtpReply();
            c.line("AUTH EXTERNAL " + b64("bob"));
            c.expect("235");
            assertEquals("bob ", f.smtp.nextLogin());
            c.line("QUIT");
            c.expect("221");
        }
    }

    // ------------------------------------------------------------ optional, over STARTTLS

    @Test
    void optionalWithTheCertificateAllowsExternalAfterStartTls() throws Exception {
        try (RawClient plain = RawClient.connect(f.port("imap-opt"))) {
            plain.transcript("""
                    S: * OK...
                    # no TLS, no certificate
                    C: a AUTHENTICATE EXTERNAL =
                    S: a NO [AUTHENTICATIONFAILED]...
                    C: b STARTTLS
                    S: b OK...
                    """);
            upgrade(plain, bob()).transcript("""
                    C: c AUTHENTICATE EXTERNAL =
                    S: c OK...
                    """);
            assertEquals("bob ", f.imap.nextLogin());
        }
        try (RawClient c = startTls("pop3", f.port("pop3-opt"), bob())) {
            c.transcript("""
                    C: AUTH EXTERNAL =
                    S: +OK Logged in.
                    """);
            assertEquals("bob ", f.pop3.nextLogin());
        }
        try (RawClient c = startTls("smtp", f.port("smtp-opt"), bob())) {
            c.line("EHLO client.example");
            c.smtpReply();
            c.line("AUTH EXTERNAL =");
            c.expect("235");
            assertEquals("bob ", f.smtp.nextLogin());
        }
    }

    @Test
    void optionalWithoutOrWithAnUnsignedCertificateRefusesExternalButAllowsPasswords() throws Exception {
        for (SSLContext client : List.of(f.certs.clientContext(), f.certs.clientContext(f.certs.rogueP12))) {
            try (RawClient c = startTls("imap", f.port("imap-opt"), client)) {
                c.transcript("""
                        C: b AUTHENTICATE EXTERNAL =
                        S: b NO [AUTHENTICATIONFAILED]...
                        C: c LOGIN bob pw
                        S: c OK...
                        """);
                assertEquals("bob pw", f.imap.nextLogin());
            }
            try (RawClient c = startTls("pop3", f.port("pop3-opt"), client)) {
                c.transcript("""
                        C: AUTH EXTERNAL =
                        S: -ERR [AUTH] Authentication failed....
                        """);
            }
            try (RawClient c = startTls("smtp", f.port("smtp-opt"), client)) {
                c.line("EHLO client.example");
                c.smtpReply();
                c.line("AUTH EXTERNAL =");
                c.expect("535 5.7.8 ");
            }
        }
        f.assertNoLogins();
    }
}
