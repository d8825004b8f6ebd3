package mailproxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * config.Protocol is the one table of each protocol's facts; what users see of it (a
 * backend section's defaults, the listener keys there are) is what it was before the
 * table, and everything derived from it agrees with it.
 */
class ProtocolTableTest {

    /** The defaults as documented in the README and reference.conf. */
    @ParameterizedTest
    @CsvSource(textBlock = """
            IMAP,  143,  USER_HASH
            POP3,  110,  USER_HASH
            SMTP,  25,   LEAST_CONNECTIONS
            LMTP,  24,   USER_HASH
            SIEVE, 4190, USER_HASH
            """)
    void anEmptyBackendSectionTakesTheProtocolsPortAndBalance(Protocol p, int port, Backend.Balance balance) {
        Backend b = ConfigLoader.parse("mailproxy { backends { b { host = \"10.0.0.1\", " + p.id() + " { } } } }", "t.conf")
                .backends().get("b");
        assertEquals(port, b.port(p));
        assertEquals(balance, b.balance(p));
        assertEquals(Backend.Tls.OFF, b.tls(p));
        assertEquals(Backend.ProxyProtocol.OFF, b.proxyProtocol(p));
        assertEquals(Backend.defaults(p), b.section(p), "the one default constant is what {} reads");
        assertEquals(p, b.section(p).protocol());
    }

    @Test
    void theDefaultLoginsAreTheDocumentedOnes() {
        assertEquals(new Backend.Imap(143, Backend.ImapLogin.LOGIN, true), Backend.defaults(Protocol.IMAP));
        assertEquals(new Backend.Pop3(110, Backend.Pop3Login.USER, false), Backend.defaults(Protocol.POP3));
        assertEquals(new Backend.Smtp(25, Backend.SmtpAuth.NONE, false), Backend.defaults(Protocol.SMTP));
    }

    /** The keys before they were derived from the readers (issue 20): not one more, not one less. */
    @Test
    void theListenerKeysAreTheSameAsBefore() {
        assertEquals(Set.of(
                "name", "protocol", "listen", "router", "auth",
                "pop3-capabilities", "imap-capabilities",
                "smtp-mode", "smtp-size", "smtp-greeting-delay", "smtp-trust-unchecked-login", "pop3-apop",
                "tls", "starttls", "tls-certificates", "tls-protocols", "tls-ciphers", "tls-client-auth", "tls-client-ca",
                "tls-provider", "tls-session-cache", "tls-session-timeout", "tls-tickets", "tls-ticket-keys", "proxy-protocol", "trusted-proxies", "smtp-capabilities", "trace", "trace-relay-bytes",
                "lmtp-max-message-size", "lmtp-memory-buffer", "lmtp-temp-dir", "lmtp-max-recipients", "lmtp-line-length",
                "lmtp-bare-newline", "lmtp-clients",
                "sieve-implementation", "sieve-extensions", "sieve-notify",
                "timeout", "max-errors", "line-length", "proxy-timeout", "relay-buffer-size"), ListenerKeys.ALL);
    }

    /** A protocol's own listener keys start with its name, so that listener-defaults reads by protocol. */
    @ParameterizedTest
    @EnumSource(Protocol.class)
    void aProtocolsListenerKeysCarryItsName(Protocol p) {
        for (String key : p.listenerOptions().keys()) assertTrue(key.startsWith(p.id() + "-"), key);
    }

    @Test
    void eachListenerKeepsItsOwnProtocolsOptions() {
        ProxyConfig c = ConfigLoader.parse("""
                mailproxy {
                  backends { b { host = "10.0.0.1", imap { }, pop3 { }, smtp { auth = plain }, lmtp { }, sieve { } } }
                  routers { r { type = static, default = b } }
                  listeners = [
                    { protocol = imap, listen = "127.0.0.1:0" }, { protocol = pop3, listen = "127.0.0.1:0" }
                    { protocol = smtp, listen = "127.0.0.1:0" }, { protocol = lmtp, listen = "127.0.0.1:0" }
                    { protocol = sieve, listen = "127.0.0.1:0" } ]
                }""", "t.conf");
        Map<Protocol, Class<?>> own = Map.of(Protocol.IMAP, ImapOptions.class, Protocol.POP3, Pop3Options.class,
                Protocol.SMTP, SmtpOptions.class, Protocol.LMTP, LmtpOptions.class, Protocol.SIEVE, SieveOptions.class);
        for (ListenerConfig l : c.listeners()) assertInstanceOf(own.get(l.protocol()), l.options(), l.name());
    }

    /** The words a trace hides, merged over the protocols: as trace.Redactor had them by hand. */
    @Test
    void theSecretCommandWordsOfAllProtocols() {
        Map<String, Integer> all = new java.util.HashMap<>();
        for (Protocol p : Protocol.values()) all.putAll(p.spec().redaction().commands());
        assertEquals(Map.of("LOGIN", 1, "PASS", 0, "APOP", 1, "AUTH", 1, "AUTHENTICATE", 1), all);
    }

    /** The server lines that keep a SASL exchange going in some protocol: as trace.Redactor had them by hand. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            +                    | true
            + eyJzdGF0dXMiOiJ9   | true
            334 VXNlcm5hbWU6     | true
            "eyJzdGF0dXMiOiJ9"   | true
            {24}                 | true
            * CAPABILITY IMAP4   | true
            +OK                  | false
            -ERR no              | false
            235 2.7.0 ok         | false
            a1 OK done           | false
            OK                   | false
            NO "bad"             | false
            """)
    void aSaslExchangeGoesOnOverTheChallengesOfAnyProtocol(String line, boolean goesOn) {
        boolean any = false;
        for (Protocol p : Protocol.values()) any |= p.spec().redaction().saslGoesOn().test(line);
        assertEquals(goesOn, any, line);
    }
}
