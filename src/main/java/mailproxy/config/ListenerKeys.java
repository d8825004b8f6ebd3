package mailproxy.config;

import java.util.Set;

/** The keys a listener may have, and the SASL mechanisms the proxy knows. */
final class ListenerKeys {
    private ListenerKeys() {}

    static final Set<String> ALL = Set.of(
            "name", "protocol", "listen", "router", "auth",
            "pop3-capabilities", "imap-capabilities",
            "smtp-mode", "smtp-size", "smtp-greeting-delay", "smtp-trust-unchecked-login", "pop3-apop",
            "tls", "starttls", "tls-certificates", "tls-protocols", "tls-ciphers", "tls-client-auth", "tls-client-ca",
            "tls-provider", "proxy-protocol", "trusted-proxies", "smtp-capabilities", "trace", "trace-relay-bytes",
            "lmtp-max-message-size", "lmtp-memory-buffer", "lmtp-temp-dir", "lmtp-max-recipients", "lmtp-line-length",
            "lmtp-bare-newline", "lmtp-clients",
            "sieve-implementation", "sieve-extensions", "sieve-notify",
            // nginx's per-server {} overrides; absent = the mailproxy.limits / relay value
            "timeout", "max-errors", "line-length", "proxy-timeout", "relay-buffer-size");

    /** OAUTHBEARER is RFC 7628; XOAUTH2 is Google's older form of the same bearer-token login. */
    static final Set<String> MECHANISMS = Set.of("plain", "login", "cram-md5", "external", "oauthbearer", "xoauth2");

    /**
     * Mechanisms whose secret is a digest of a challenge: the proxy has no password to give
     * the backend, so only an auth-http router (which returns Auth-Pass) can serve them.
     */
    static final Set<String> DIGEST_MECHANISMS = Set.of("cram-md5");
}
