package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealDovecot;
import mailproxy.testing.RealServers;
import mailproxy.testing.Sasl;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The auth server's Auth-User / Auth-Pass reach a real Dovecot: the client logs in as an
 * alias with a password (or digest) Dovecot has never heard of, and is bob inside.
 */
@Timeout(60)
class AuthHttpDovecotTest {
    private static final Pattern TIMESTAMP = Pattern.compile("<[^>]+>$");

    private RealDovecot dovecot;
    private AuthServer auth;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        dovecot = RealServers.dovecot();
        // the auth server's directory: "alias@example.test" is bob; it knows bob's real password
        auth = AuthServer.start(r -> {
            int port = r.header("Auth-Protocol").equals("imap") ? dovecot.imapPort() : dovecot.pop3Port();
            return r.header("Auth-User").equals("alias@example.test")
                    ? AuthServer.ok(dovecot.host(), port).with("Auth-User", RealDovecot.BOB)
                            .with("Auth-Pass", RealDovecot.BOB_PASSWORD)
                    : AuthServer.error("unknown alias");
        });
        proxy = TestProxy.start("""
                mailproxy {
                  server-name = "proxy.example.test"
                  routers { auth { type = auth-http, url = "%s", timeout = 5s } }
                  listeners = [
                    { name = pop3, protocol = pop3, listen = "127.0.0.1:0", auth = [plain, cram-md5], pop3-apop = true }
                    { name = imap, protocol = imap, listen = "127.0.0.1:0", auth = [plain, cram-md5] }
                  ]
                }
                """.formatted(auth.url()));
    }

    @AfterEach
    void stop() {
        if (proxy != null) proxy.close();
        if (auth != null) auth.close();
    }

    /** A client of the listener, with time for Dovecot, after the proxy's greeting; the greeting. */
    private RawClient connect(String listener) throws Exception {
        RawClient c = RawClient.connect(proxy.port(listener)).timeout(15_000);
        c.expect(listener.equals("pop3") ? "+OK proxy.example.test" : "* OK");
        return c;
    }

    @Test
    void pop3UserPassAsAnAliasLogsInToDovecotAsBob() throws Exception {
        long mark = dovecot.logMark();
        try (RawClient c = connect("pop3")) {
            c.transcript("""
                    C: USER alias@example.test
                    S: +OK...
                    C: PASS not-bobs-password
                    S: +OK...
                    C: STAT
                    S: +OK %d ...
                    C: QUIT
                    S: +OK...
                    """.formatted(RealDovecot.seededMessageCount()));
        }
        assertTrue(dovecot.awaitLog(mark, "user=<bob>", Duration.ofSeconds(10)).contains("pop3-login"));
    }

    @Test
    void pop3ApopAndCramMd5AsAnAliasLogInToDovecotAsBob() throws Exception {
        try (RawClient c = RawClient.connect(proxy.port("pop3")).timeout(15_000)) {
            Matcher m = TIMESTAMP.matcher(c.expect("+OK proxy.example.test"));
            assertTrue(m.find());
            c.line("APOP alias@example.test " + Sasl.apopDigest(m.group(), "whatever"));
            c.transcript(LOGGED_IN_POP3);
        }
        try (RawClient c = connect("pop3")) {
            c.line("AUTH CRAM-MD5");
            Sasl.cramMd5(c, "+ ", "alias@example.test", "whatever");
            c.transcript(LOGGED_IN_POP3);
        }
        assertEquals(2, auth.requests().size());
        assertEquals("apop", auth.requests().get(0).header("Auth-Method"));
        assertEquals("cram-md5", auth.requests().get(1).header("Auth-Method"));
    }

    /** Logged in to Dovecot: STAT answers, QUIT ends it. */
    private static final String LOGGED_IN_POP3 = """
            S: +OK...
            C: STAT
            S: +OK...
            C: QUIT
            S: +OK...
            """;

    @Test
    void imapLoginAndCramMd5AsAnAliasLogInToDovecotAsBob() throws Exception {
        long mark = dovecot.logMark();
        try (RawClient c = connect("imap")) {
            c.line("a1 LOGIN alias@example.test not-bobs-password").expect("a1 OK");
            c.line("a2 SELECT INBOX");
            String l;
            do {
                l = c.readLine();
            } while (l != null && !l.startsWith("a2 "));
            assertTrue(l != null && l.startsWith("a2 OK"), l);
            c.line("a3 LOGOUT").expect("* BYE");
        }
        assertTrue(dovecot.awaitLog(mark, "user=<bob>", Duration.ofSeconds(10)).contains("imap-login"));
        try (RawClient c = connect("imap")) {
            c.line("a1 AUTHENTICATE CRAM-MD5");
            Sasl.cramMd5(c, "+ ", "alias@example.test", "whatever");
            c.transcript("""
                    S: a1 OK...
                    C: a2 LOGOUT
                    S: * BYE...
                    """);
        }
    }

    @Test
    void refusedAliasNeverReachesDovecot() throws Exception {
        try (RawClient c = connect("pop3")) {
            c.transcript("""
                    C: USER stranger
                    S: +OK...
                    C: PASS x
                    S: -ERR unknown alias...
                    S closes
                    """);
        }
    }
}
