package mailproxy.config;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A submission listener must not accept any password. With a static router nobody but the
 * backend can check it: a backend with {@code smtp.auth = none} makes the proxy answer
 * {@code 235} to whatever the client typed (and with XCLIENT tell Postfix {@code LOGIN=} the
 * claimed user), which turns the proxy into an open relay under any name. That is a startup
 * error unless the listener says {@code smtp-trust-unchecked-login = true}.
 */
final class UncheckedLogin {
    private UncheckedLogin() {}

    /**
     * Mechanisms whose secret is a password or bearer token the proxy only passes on
     * (EXTERNAL is checked by TLS).
     */
    private static final List<String> PASSWORD_MECHANISMS = List.of("plain", "login", "oauthbearer", "xoauth2");

    static void refuse(Section s, String listener, RouterConfig router, List<String> auth, Map<String, Backend> backends) {
        // an auth-http server checks the password (nginx's model); it may still hand out a
        // backend with auth = none, which is its business
        if (!(router instanceof RouterConfig.Static st)) return;
        if (auth.stream().noneMatch(PASSWORD_MECHANISMS::contains)) return;
        Set<String> reachable = new LinkedHashSet<>();
        if (!st.defaultBackend().isEmpty()) reachable.add(st.defaultBackend());
        reachable.addAll(st.domains().values());
        reachable.addAll(st.users().values());
        for (String name : reachable) {
            Backend b = backends.get(name);
            if (b != null && b.smtp() != null && b.smtp().auth() == Backend.SmtpAuth.NONE) {
                throw s.error("router", "submission listener '" + listener + "' routes (router '"
                        + st.name() + "') to backend '" + name + "' whose smtp.auth = none: nobody would check the"
                        + " password and the proxy would answer 235 to any. Set smtp { auth = plain } (or login) on"
                        + " that backend, use an auth-http router, or, for a relay on a trusted network only,"
                        + " smtp-trust-unchecked-login = true on the listener");
            }
        }
    }
}
