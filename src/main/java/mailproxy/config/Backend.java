package mailproxy.config;

/**
 * A backend mail server (mailproxy.backends.NAME). A protocol section that is null means
 * the backend does not serve that protocol.
 */
public record Backend(String name, String host, Imap imap, Pop3 pop3, Smtp smtp) {

    /** How the proxy logs in to an IMAP backend. */
    public enum ImapLogin { LOGIN, AUTHENTICATE_PLAIN }

    /** How the proxy logs in to a POP3 backend. */
    public enum Pop3Login { USER, AUTH_PLAIN }

    /** Which AUTH the proxy sends to an SMTP backend after EHLO. */
    public enum SmtpAuth { NONE, PLAIN, LOGIN }

    public record Imap(int port, ImapLogin login, boolean sendId) {}

    public record Pop3(int port, Pop3Login login, boolean xclient) {}

    public record Smtp(int port, SmtpAuth auth, boolean xclient) {}

    public int port(Protocol p) {
        return switch (p) {
            case IMAP -> imap == null ? -1 : imap.port();
            case POP3 -> pop3 == null ? -1 : pop3.port();
            case SMTP -> smtp == null ? -1 : smtp.port();
        };
    }

    public boolean serves(Protocol p) { return port(p) > 0; }
}
