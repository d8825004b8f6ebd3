package mailproxy.config;

import mailproxy.tls.TlsClient;

/**
 * A backend mail server (mailproxy.backends.NAME). A protocol section that is null means
 * the backend does not serve that protocol.
 */
public record Backend(String name, String host, Imap imap, Pop3 pop3, Smtp smtp, TlsClient tlsClient) {

    /** A backend without TLS. */
    public Backend(String name, String host, Imap imap, Pop3 pop3, Smtp smtp) {
        this(name, host, imap, pop3, smtp, null);
    }

    /** How the proxy reaches a backend port: plaintext, TLS from the start, or STARTTLS/STLS. */
    public enum Tls { OFF, IMPLICIT, STARTTLS }

    /** How the proxy logs in to an IMAP backend. */
    public enum ImapLogin { LOGIN, AUTHENTICATE_PLAIN }

    /** How the proxy logs in to a POP3 backend. */
    public enum Pop3Login { USER, AUTH_PLAIN }

    /** Which AUTH the proxy sends to an SMTP backend after EHLO. */
    public enum SmtpAuth { NONE, PLAIN, LOGIN }

    public record Imap(int port, ImapLogin login, boolean sendId, Tls tls) {
        public Imap(int port, ImapLogin login, boolean sendId) {
            this(port, login, sendId, Tls.OFF);
        }
    }

    public record Pop3(int port, Pop3Login login, boolean xclient, Tls tls) {
        public Pop3(int port, Pop3Login login, boolean xclient) {
            this(port, login, xclient, Tls.OFF);
        }
    }

    public record Smtp(int port, SmtpAuth auth, boolean xclient, Tls tls) {
        public Smtp(int port, SmtpAuth auth, boolean xclient) {
            this(port, auth, xclient, Tls.OFF);
        }
    }

    /** TLS mode of this backend for a protocol. */
    public Tls tls(Protocol p) {
        Tls t = switch (p) {
            case IMAP -> imap == null ? null : imap.tls();
            case POP3 -> pop3 == null ? null : pop3.tls();
            case SMTP -> smtp == null ? null : smtp.tls();
        };
        return t == null ? Tls.OFF : t;
    }

    public int port(Protocol p) {
        return switch (p) {
            case IMAP -> imap == null ? -1 : imap.port();
            case POP3 -> pop3 == null ? -1 : pop3.port();
            case SMTP -> smtp == null ? -1 : smtp.port();
        };
    }

    public boolean serves(Protocol p) { return port(p) > 0; }
}
