package mailproxy.testing;

import java.io.IOException;
import javax.net.ssl.SSLContext;

/**
 * Scripted fake backends that answer like the real servers and record what the proxy
 * said ({@link FakeBackend}):
 *
 * <pre>{@code
 * FakeBackend pop3 = FakeBackends.pop3().accept("bob", "secret").start();
 * FakeBackend imap = FakeBackends.imap().tls(serverContext).start();   // implicit TLS
 * FakeBackend smtp = FakeBackends.smtp().start();                      // Postfix-like
 * }</pre>
 *
 * Every fake takes the login it is sent (any user and password, unless {@link
 * Builder#accept} names the one account), records it as "user password", and answers the
 * way Dovecot or Postfix does:
 * <ul>
 *   <li>POP3: XCLIENT, USER/PASS and AUTH PLAIN; then "+OK echo CMD" to any command,
 *       QUIT ends the session, CLOSE-NOW hangs up without a word.</li>
 *   <li>IMAP: LOGIN with literals (synchronizing or LITERAL+) and AUTHENTICATE PLAIN;
 *       then "tag OK CMD completed" to any command, LOGOUT ends the session, {@code t BIG n}
 *       answers with an n-byte literal of {@link #pattern(int)}, {@code t LATE} answers
 *       only after the proxy has half-closed towards the backend.</li>
 *   <li>SMTP: EHLO, XCLIENT, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA (messages kept),
 *       RSET, NOOP, QUIT; {@link FakeBackend#override} replaces the reply to a verb.</li>
 * </ul>
 */
public final class FakeBackends {
    private FakeBackends() {}

    public static Builder imap() { return new Builder(FakeImap::converse); }

    public static Builder pop3() { return new Builder(FakePop3::converse); }

    public static Builder smtp() { return new Builder(FakeSmtp::converse); }

    /** What a fake does with one connection. */
    @FunctionalInterface
    interface Conversation {
        void run(FakeBackend backend, RawClient peer) throws Exception;
    }

    /** How the next fake backend behaves. */
    public static final class Builder {
        private final Conversation conversation;
        private String user;
        private String password;
        private SSLContext tls;

        private Builder(Conversation conversation) {
            this.conversation = conversation;
        }

        /** Only this account logs in; any other login is refused as a wrong password. */
        public Builder accept(String user, String password) {
            this.user = user;
            this.password = password;
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
            return new FakeBackend(conversation, user, password, tls);
        }
    }

    /** Bytes 'a'..'z' repeating, with CRLF every 76: a message body anyone can check. */
    public static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i % 78 == 76 ? '\r' : i % 78 == 77 ? '\n' : 'a' + i % 26);
        return b;
    }
}
