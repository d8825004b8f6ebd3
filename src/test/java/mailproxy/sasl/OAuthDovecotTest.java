package mailproxy.sasl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import mailproxy.testing.IntrospectionServer;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealDovecot;
import mailproxy.testing.RealPostfix;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * OAuth 2.0 logins (OAUTHBEARER, RFC 7628; XOAUTH2) through the proxy to a real Dovecot
 * whose oauth2 passdb asks a token introspection endpoint of the test's own, over IMAP,
 * POP3 and SMTP (Postfix, which asks Dovecot's SASL). Tokens are 4 KB, as real ones get;
 * the proxy logs in to the backend with the client's own mechanism, answers a refused
 * token with the RFC 7628 error challenge, and never logs a token.
 */
@Timeout(120)
class OAuthDovecotTest {
    static final int TOKEN_LENGTH = 4096;
    static IntrospectionServer introspection;
    static Path oauthConf;
    static RealDovecot dovecot;
    static RealPostfix postfix;
    static TestProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        introspection = new IntrospectionServer();
        oauthConf = Files.createTempFile("dovecot-oauth2", ".conf.ext");
        Files.writeString(oauthConf, introspection.dovecotConfig());
        dovecot = RealDovecot.startExtra("""
                auth_mechanisms = plain login oauthbearer xoauth2
                passdb {
                  driver = oauth2
                  mechanisms = xoauth2 oauthbearer
                  args = %s
                }
                """.formatted(oauthConf));
        // Postfix reads an SMTP line up to line_length_limit (2048 by default): an AUTH with a
        // 4 KB token needs more (RFC 4954 §4 asks servers for 12288 octets)
        postfix = RealPostfix.startExtra(dovecot, dovecot.lmtpPort(), "line_length_limit = 12288\n");
        proxy = TestProxy.start("""
                mailproxy {
                  server-name = "proxy.test"
                  backends { d { host = "127.0.0.1", imap { port = %d }, pop3 { port = %d }, smtp { port = %d, auth = plain } } }
                  routers { r { type = static, default = d } }
                  listener-defaults { auth = [plain, oauthbearer, xoauth2] }
                  listeners = [
                    { name = imap, protocol = imap, listen = "127.0.0.1:0" }
                    { name = pop3, protocol = pop3, listen = "127.0.0.1:0" }
                    { name = smtp, protocol = smtp, listen = "127.0.0.1:0" }
                  ]
                }
                """.formatted(dovecot.imapPort(), dovecot.pop3Port(), postfix.smtpPort()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) proxy.close();
        if (postfix != null) postfix.close();
        if (dovecot != null) dovecot.close();
        if (introspection != null) introspection.close();
        if (oauthConf != null) Files.deleteIfExists(oauthConf);
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static String oauthbearer(String user, String token) {
        return b64("n,a=" + user + ",\u0001host=proxy.test\u0001port=143\u0001auth=Bearer " + token + "\u0001\u0001");
    }

    static String xoauth2(String user, String token) {
        return b64("user=" + user + "\u0001auth=Bearer " + token + "\u0001\u0001");
    }

    /**
     * A token login refused the RFC 7628 §3.2.2 way: the error as a challenge after {@code
     * prompt}, the client's dummy answer, then the protocol's failure.
     */
    static void refusedWithAnErrorChallenge(RawClient c, String auth, String prompt, String answer, String failure)
            throws IOException {
        c.line(auth);
        String challenge = c.readLine();
        assertTrue(challenge.startsWith(prompt), challenge);
        assertErrorChallenge(challenge.substring(prompt.length()));
        c.line(answer);
        c.expect(failure);
    }

    /** The RFC 7628 §3.2.2 error: base64 JSON with a status. */
    static void assertErrorChallenge(String b64) {
        String json = new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
        assertTrue(json.startsWith("{") && json.contains("\"status\""), json);
    }

    @Test
    void imapOauthbearerAndXoauth2ReachDovecotWithTheirOwnMechanism() throws Exception {
        String token = introspection.issue(RealDovecot.BOB, TOKEN_LENGTH);
        long mark = dovecot.logMark();
        try (LogCapture log = new LogCapture(); RawClient c = RawClient.connect(proxy.port("imap"))) {
            String greeting = c.expect("* OK [CAPABILITY ");
            assertTrue(greeting.contains("AUTH=OAUTHBEARER AUTH=XOAUTH2"), greeting);
            c.line("a AUTHENTICATE OAUTHBEARER " + oauthbearer(RealDovecot.BOB, token));
            String done = c.readLine();
            while (done.startsWith("* ")) done = c.readLine();
            assertTrue(done.startsWith("a OK"), done);
            c.line("b SELECT INBOX");
            for (String l = c.readLine(); !l.startsWith("b "); l = c.readLine()) assertTrue(l.startsWith("* "), l);
            c.line("z LOGOUT");
            dovecot.awaitLog(mark, "Login: user=<bob>, method=OAUTHBEARER", Duration.ofSeconds(10));
            assertFalse(log.text().contains(token.substring(0, 64)), "a token reached the log");
        }
        String alice = introspection.issue(RealDovecot.ALICE, TOKEN_LENGTH);
        try (RawClient c = RawClient.connect(proxy.port("imap"))) {
            c.expect("* OK");
            // without SASL-IR: an empty challenge asks for the response
            c.line("a AUTHENTICATE XOAUTH2");
            assertEquals("+ ", c.readLine());
            c.line(xoauth2(RealDovecot.ALICE, alice));
            String done = c.readLine();
            while (done.startsWith("* ")) done = c.readLine();
            assertTrue(done.startsWith("a OK"), done);
            dovecot.awaitLog(mark, "Login: user=<alice>, method=XOAUTH2", Duration.ofSeconds(10));
        }
        assertTrue(introspection.asked().contains(token));
    }

    @Test
    void imapRefusedTokenGetsTheErrorChallengeThenNo() throws Exception {
        String forged = "forged" + "A".repeat(TOKEN_LENGTH);
        try (LogCapture log = new LogCapture(); RawClient c = RawClient.connect(proxy.port("imap"))) {
            c.expect("* OK");
            refusedWithAnErrorChallenge(c, "a AUTHENTICATE OAUTHBEARER " + oauthbearer(RealDovecot.BOB, forged), "+ ", "AQ==", "a NO");
            // the session goes on: a good token now
            c.line("b AUTHENTICATE OAUTHBEARER " + oauthbearer(RealDovecot.BOB, introspection.issue(RealDovecot.BOB, 64)));
            String done = c.readLine();
            while (done.startsWith("* ")) done = c.readLine();
            assertTrue(done.startsWith("b OK"), done);
            assertFalse(log.text().contains("forgedAAAA"), "a token reached the log");
        }
    }

    @Test
    void pop3WithATokenLongerThanAnAuthLine() throws Exception {
        String token = introspection.issue(RealDovecot.CAROL, TOKEN_LENGTH);
        long mark = dovecot.logMark();
        try (RawClient c = RawClient.connect(proxy.port("pop3"))) {
            c.expect("+OK");
            c.exchange("AUTH OAUTHBEARER " + oauthbearer(RealDovecot.CAROL, token), "+OK", "STAT", "+OK ");
            c.line("QUIT");
        }
        dovecot.awaitLog(mark, "Login: user=<carol>, method=OAUTHBEARER", Duration.ofSeconds(10));
        try (RawClient c = RawClient.connect(proxy.port("pop3"))) {
            c.expect("+OK");
            refusedWithAnErrorChallenge(c, "AUTH XOAUTH2 " + xoauth2(RealDovecot.CAROL, "nope" + token), "+ ", "", "-ERR");
        }
    }

    @Test
    void smtpThroughPostfixWhichAsksDovecot() throws Exception {
        String token = introspection.issue(RealDovecot.BOB, TOKEN_LENGTH);
        long mark = postfix.logMark();
        try (RawClient c = RawClient.connect(proxy.port("smtp"))) {
            c.timeout(10_000);
            c.expect("220 ");
            c.line("EHLO client.example");
            String auth = null;
            for (String l = c.readLine(); ; l = c.readLine()) {
                if (l.startsWith("250-AUTH") || l.startsWith("250 AUTH")) auth = l;
                if (l.startsWith("250 ")) break;
            }
            assertEquals("AUTH PLAIN OAUTHBEARER XOAUTH2", auth.substring(4));
            refusedWithAnErrorChallenge(c, "AUTH OAUTHBEARER " + oauthbearer(RealDovecot.BOB, "bad" + token), "334 ", "AQ==", "535 ");
            c.line("AUTH OAUTHBEARER " + oauthbearer(RealDovecot.BOB, token));
            assertEquals("235 2.7.0 Authentication successful", c.readLine());
            c.exchange("MAIL FROM:<bob@example.test>", "250 ", "RCPT TO:<bob@example.test>", "250 ", "DATA", "354 ");
            c.send("Subject: oauth\r\n\r\nsent with a token\r\n.\r\n");
            c.expect("250 ");
            c.line("QUIT");
        }
        postfix.awaitLog(mark, "sasl_method=OAUTHBEARER, sasl_username=bob", Duration.ofSeconds(20));
    }
}
