package mailproxy.config;

/** The mail protocols a listener speaks. */
public enum Protocol {
    IMAP, POP3, SMTP;

    /** Lower-case name as written in config, logs and auth_http's Auth-Protocol. */
    public String id() { return name().toLowerCase(java.util.Locale.ROOT); }
}
