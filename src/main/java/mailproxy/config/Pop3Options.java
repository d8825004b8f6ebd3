package mailproxy.config;

import java.util.List;

/**
 * A POP3 listener's own options (pop3-* keys).
 *
 * @param capabilities CAPA lines besides USER and SASL (RFC 2449)
 * @param apop         the APOP command (RFC 1939 §7) is accepted
 */
public record Pop3Options(List<String> capabilities, boolean apop) implements ListenerConfig.Options {
    static final List<String> KEYS = List.of("pop3-apop", "pop3-capabilities");

    static Pop3Options read(ListenerReader.Context c) {
        Section s = c.s();
        // pop3-apop may come from listener-defaults: it means nothing to other listeners
        boolean apop = s.bool("pop3-apop") && c.protocol() == Protocol.POP3;
        if (apop && c.router() instanceof RouterConfig.Static) {
            // APOP gives the proxy a digest, not a password: only an auth server (Auth-Pass)
            // can say what to log in to the backend with
            throw s.error("pop3-apop", "APOP needs an auth-http router (router '" + c.routerName()
                    + "' is static and has no password to give the backend)");
        }
        return new Pop3Options(s.strings("pop3-capabilities"), apop);
    }
}
