package mailproxy.config;

import java.util.Set;

/** The keys a listener may have, and the SASL mechanisms the proxy knows. */
final class ListenerKeys {
    private ListenerKeys() {}

    static final Set<String> ALL = Set.of(
            "name", "protocol", "listen", "router", "auth",
            "pop3-capabilities", "imap-capabilities",
            "smtp-mode", "smtp-size", "smtp-greeting-delay",
            "tls", "starttls", "tls-certificates", "tls-protocols", "tls-ciphers", "tls-client-auth", "tls-client-ca");

    static final Set<String> MECHANISMS = Set.of("plain", "login", "external");
}
