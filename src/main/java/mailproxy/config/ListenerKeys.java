package mailproxy.config;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The keys a listener may have, and the SASL mechanisms the proxy knows. The keys are not
 * kept by hand: each reader declares the keys it reads (the common ones, TLS, the
 * PROXY protocol and limit overrides, and each protocol's options, see {@link Protocol}),
 * and listener-defaults is checked against their union.
 */
final class ListenerKeys {
    private ListenerKeys() {}

    static final Set<String> ALL = all();

    private static Set<String> all() {
        Set<String> keys = new LinkedHashSet<>(ListenerReader.KEYS);
        keys.addAll(TlsReader.LISTENER_KEYS);
        keys.addAll(ListenerOptions.KEYS);
        for (Protocol p : Protocol.values()) keys.addAll(p.listenerOptions().keys());
        return Set.copyOf(keys);
    }

    /**
     * A reader that reads a key it did not declare would let that key pass in a listener
     * but fail in listener-defaults: a bug, caught by every test that reads a listener.
     */
    static void checkDeclared(Section listener) {
        for (String k : listener.keysRead()) {
            if (!ALL.contains(k)) throw new IllegalStateException("listener key " + k + " is read but not declared by its reader");
        }
    }

    /** OAUTHBEARER is RFC 7628; XOAUTH2 is Google's older form of the same bearer-token login. */
    static final Set<String> MECHANISMS = Set.of("plain", "login", "cram-md5", "external", "oauthbearer", "xoauth2");

    /**
     * Mechanisms whose secret is a digest of a challenge: the proxy has no password to give
     * the backend, so only an auth-http router (which returns Auth-Pass) can serve them.
     */
    static final Set<String> DIGEST_MECHANISMS = Set.of("cram-md5");
}
