package mailproxy.testing;

import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiPredicate;
import javax.net.ssl.SSLContext;

/**
 * Scripted fake backends that answer like the real servers and record what the proxy
 * said ({@link FakeBackend}):
 *
 * <pre>{@code
 * FakeBackend pop3 = FakeBackends.pop3().accept("bob", "secret").start();
 * FakeBackend imap = FakeBackends.imap().tls(serverContext).start();   // implicit TLS
 * FakeBackend smtp = FakeBackends.smtp().start();                      // Postfix-like
 * FakeBackend lmtp = FakeBackends.lmtp("one").start();                 // "saved by one"
 * }</pre>
 *
 * Every fake takes the login it is sent (any user and password, unless {@link
 * Builder#accept}, {@link Builder#accounts} or {@link Builder#password} say whom), records
 * it as "user password", and answers the way Dovecot or Postfix does:
 * <ul>
 *   <li>POP3: CAPA (USER and SASL PLAIN, no token mechanism), XCLIENT, USER/PASS and AUTH
 *       PLAIN, a refused login may be tried again; then "+OK" to a login command (never
 *       repeating it) and "+OK echo CMD" to any other, QUIT ends the session, CLOSE-NOW
 *       hangs up without a word.</li>
 *   <li>IMAP: ID, LOGIN with literals (synchronizing or LITERAL+) or quoted strings and
 *       AUTHENTICATE PLAIN, a refused login may be tried again; then "tag OK CMD
 *       completed" to any command, LOGOUT ends the session, {@code t BIG n} answers with
 *       an n-byte literal of {@link #pattern(int)}, {@code t LATE} answers only after the
 *       proxy has half-closed towards the backend.</li>
 *   <li>SMTP: EHLO, XCLIENT, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA (messages kept),
 *       RSET, NOOP, QUIT; {@link FakeBackend#override} replaces the reply to a verb.</li>
 *   <li>ManageSieve (RFC 5804): AUTHENTICATE "PLAIN" (quoted, literal or after a
 *       challenge), a refused login may be tried again; then OK to any command, LOGOUT
 *       ends the session.</li>
 *   <li>LMTP (RFC 2033): LHLO, MAIL, RCPT, DATA with one reply per accepted recipient
 *       naming it and the backend, RSET, QUIT; the message kept byte for byte ({@link
 *       FakeBackend#rawMessages}); {@link FakeBackend#override} for MAIL or "RCPT
 *       address", {@link FakeBackend#failure} to break off.</li>
 * </ul>
 */
public final class FakeBackends {
    private FakeBackends() {}

    /** The IMAP fake's greeting, as a trace shows it; its answers to a login it takes or refuses, after the tag. */
    public static final String IMAP_GREETING = "* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR AUTH=PLAIN] fake imap ready";
    public static final String IMAP_LOGGED_IN = "OK [CAPABILITY IMAP4rev1 IDLE] fake logged in";
    public static final String IMAP_REFUSED = "NO [AUTHENTICATIONFAILED] Authentication failed.";

    public static Builder imap() { return new Builder(FakeImap::converse); }

    /** The POP3 fake's answers to a login it takes and to one it refuses (Dovecot's). */
    public static final String POP3_LOGGED_IN = "+OK Logged in.";
    public static final String POP3_REFUSED = "-ERR [AUTH] Authentication failed.";

    public static Builder pop3() { return new Builder(FakePop3::converse); }

    /** The SMTP fake's answer to a login it refuses (Postfix's). */
    public static final String SMTP_REFUSED = "535 5.7.8 Error: authentication failed: authentication failure";

    public static Builder smtp() { return new Builder(FakeSmtp::converse); }

    /** A ManageSieve server (Dovecot's Pigeonhole-like). */
    public static Builder sieve() { return new Builder(FakeSieve::converse); }

    /** An LMTP server that calls itself {@code name} in its greeting and replies. */
    public static Builder lmtp(String name) { return new Builder(FakeLmtp::converse).name(name); }

    /** How an LMTP fake breaks off, if at all. */
    public enum LmtpFailure {
        NONE,
        /** Takes the whole message, then closes without a reply. */
        CLOSE_AFTER_MESSAGE,
        /** Answers for the first recipient after the message, then closes. */
        CLOSE_AFTER_FIRST_REPLY,
        /** Answers DATA with 451 (no 354). */
        REFUSE_DATA
    }

    /**
     * IMAP, POP3 and SMTP fakes, and a ManageSieve one, that take one password per user:
     * every protocol with a login, as one backend {@code b} of the proxy's config ({@link
     * Trio#backendConfig()}); closing closes them all.
     */
    public static Trio trio(Map<String, String> users) throws IOException {
        return new Trio(imap().accounts(users).start(), pop3().accounts(users).start(), smtp().accounts(users).start(),
                sieve().accounts(users).start());
    }

    /** The fakes of {@link #trio}: the three mail protocols, and ManageSieve beside them. */
    public record Trio(FakeBackend imap, FakeBackend pop3, FakeBackend smtp, FakeBackend sieve) implements AutoCloseable {
        /** A backend named {@code b} that serves all four protocols from these fakes, SMTP with AUTH PLAIN. */
        public String backendConfig() {
            return ("backends { b { host = \"127.0.0.1\", imap { port = %d }, pop3 { port = %d }, smtp { port = %d, auth = plain },"
                    + " sieve { port = %d } } }").formatted(imap.port(), pop3.port(), smtp.port(), sieve.port());
        }

        /** The fake that speaks {@code protocol} (a listener's protocol: imap, pop3, smtp or sieve). */
        public FakeBackend of(String protocol) {
            return switch (protocol) {
                case "imap" -> imap;
                case "pop3" -> pop3;
                case "smtp" -> smtp;
                case "sieve" -> sieve;
                default -> throw new IllegalArgumentException("no fake for " + protocol);
            };
        }

        @Override
        public void close() throws IOException {
            try (FakeBackend a = imap; FakeBackend b = pop3; FakeBackend c = smtp; FakeBackend d = sieve) {
                // closed in reverse order; a script's failure is rethrown
            }
        }
    }

    /** What a fake does with one connection. */
    @FunctionalInterface
    interface Conversation {
        void run(FakeBackend backend, RawClient peer) throws Exception;
    }

    /** How the next fake backend behaves. */
    public static final class Builder {
        private final Conversation conversation;
        private BiPredicate<String, String> accounts = (user, password) -> true;
        private SSLContext tls;
        private String name = "fake";

        private Builder(Conversation conversation) {
            this.conversation = conversation;
        }

        /** Only this account logs in; any other login is refused as a wrong password. */
        public Builder accept(String user, String password) {
            this.accounts = (u, p) -> user.equals(u) && password.equals(p);
            return this;
        }

        /** Each of these users logs in with their password; anything else is refused. */
        public Builder accounts(Map<String, String> users) {
            Map<String, String> copy = Map.copyOf(users);
            this.accounts = (u, p) -> p != null && p.equals(copy.get(u));
            return this;
        }

        /** Every user logs in with this password, and only with it. */
        public Builder password(String password) {
            this.accounts = (u, p) -> Objects.equals(password, p);
            return this;
        }

        private Builder name(String name) {
            this.name = name;
            return this;
        }

        /**
         * TLS with this server context, and a client certificate required in it: IMAP and
         * POP3 from the first byte (implicit TLS); SMTP by STARTTLS, offered in EHLO and
         * required before AUTH, as Postfix with smtpd_tls_auth_only.
         */
        public Builder tls(SSLContext serverContext) {
            this.tls = serverContext;
            return this;
        }

        public FakeBackend start() throws IOException {
            return new FakeBackend(conversation, accounts, tls, name);
        }
    }

    /**
     * The user and password of a SASL PLAIN response (RFC 4616), or null when it is none:
     * past the login, the fakes hear whatever a client sends (the fuzz tests), and a
     * fake's failure would be the test's.
     */
    static String[] plain(String base64) {
        try {
            String[] parts = Sasl.unb64(base64).split("\0", -1);
            return parts.length == 3 ? new String[] {parts[1], parts[2]} : null;
        } catch (IllegalArgumentException notBase64) {
            return null;
        }
    }

    /** A SASL LOGIN step's text (RFC 4954 §4), or "" when it is not base64. */
    static String unb64(String base64) {
        try {
            return Sasl.unb64(base64);
        } catch (IllegalArgumentException notBase64) {
            return "";
        }
    }

    /** Bytes 'a'..'z' repeating, with CRLF every 76: a message body anyone can check. */
    public static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i % 78 == 76 ? '\r' : i % 78 == 77 ? '\n' : 'a' + i % 26);
        return b;
    }
}
