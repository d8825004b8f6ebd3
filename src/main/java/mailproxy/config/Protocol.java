package mailproxy.config;

/**
 * The mail protocols a listener speaks. LMTP (RFC 2033) is delivery, not a login: each
 * recipient is routed on its own. SIEVE is ManageSieve (RFC 5804).
 */
public enum Protocol {
    IMAP, POP3, SMTP, LMTP, SIEVE;

    /** Lower-case name as written in config, logs and auth_http's Auth-Protocol. */
    public String id() { return name().toLowerCase(java.util.Locale.ROOT); }
}
