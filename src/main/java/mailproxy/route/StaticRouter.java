package mailproxy.route;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import mailproxy.config.Backend;
import mailproxy.config.RouterConfig;

/**
 * The embedded map, like Perdition's: a user as written, else the domain after '@', else
 * the default. The backend checks the password; the proxy only forwards the login.
 * SMTP MX mode has no user: there the first recipient's address is looked up the same way.
 */
final class StaticRouter implements Router {
    private final RouterConfig.Static config;
    private final Map<String, Backend> backends;

    StaticRouter(RouterConfig.Static config, Map<String, Backend> backends) {
        this.config = config;
        this.backends = backends;
    }

    @Override
    public Route route(LoginRequest r) {
        String user = (r.user().isEmpty() && r.smtp() != null ? recipient(r.smtp().to()) : r.user())
                .toLowerCase(Locale.ROOT);
        String name = config.users().get(user);
        int at = user.lastIndexOf('@');
        if (name == null && at >= 0) name = config.domains().get(user.substring(at + 1));
        if (name == null && !config.defaultBackend().isEmpty()) name = config.defaultBackend();
        // MX mode: a recipient nobody here serves is relaying (Postfix's words and code);
        // the client may go on with other recipients.
        if (name == null && r.user().isEmpty() && r.smtp() != null) {
            return new Route.Reject("Relay access denied", Duration.ZERO, "554 5.7.1");
        }
        // Say no more than a wrong password would (no account probing); the client may retry.
        if (name == null) return new Route.Reject("Authentication failed.", Duration.ZERO, null);
        Backend b = backends.get(name);
        if (!b.serves(r.protocol())) {
            return new Route.Unavailable("backend " + name + " has no " + r.protocol().id() + " section");
        }
        return new Route.Ok(new Target(b.host(), b.port(r.protocol()), b), r.user(), r.password());
    }

    /** The address in an RCPT line: "RCPT TO:<a@b> params" → a@b (a source route's "@x,@y:" dropped). */
    static String recipient(String rcptLine) {
        String s = rcptLine == null ? "" : rcptLine;
        int colon = s.indexOf(':');
        s = s.substring(colon + 1).strip();
        if (s.startsWith("<")) {
            int gt = s.indexOf('>');
            s = s.substring(1, gt < 0 ? s.length() : gt);
        } else {
            int sp = s.indexOf(' ');
            if (sp >= 0) s = s.substring(0, sp);
        }
        int route = s.lastIndexOf(':');
        return route >= 0 ? s.substring(route + 1) : s;
    }
}
