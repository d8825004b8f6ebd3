package mailproxy.route;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import mailproxy.config.Backend;
import mailproxy.config.RouterConfig;

/**
 * The embedded map, like Perdition's: a user as written, else the domain after '@', else
 * the default. The backend checks the password; the proxy only forwards the login.
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
        String user = r.user().toLowerCase(Locale.ROOT);
        String name = config.users().get(user);
        int at = user.lastIndexOf('@');
        if (name == null && at >= 0) name = config.domains().get(user.substring(at + 1));
        if (name == null && !config.defaultBackend().isEmpty()) name = config.defaultBackend();
        // Say no more than a wrong password would (no account probing); the client may retry.
        if (name == null) return new Route.Reject("Authentication failed.", Duration.ZERO, null);
        Backend b = backends.get(name);
        if (!b.serves(r.protocol())) {
            return new Route.Unavailable("backend " + name + " has no " + r.protocol().id() + " section");
        }
        return new Route.Ok(new Target(b.host(), b.port(r.protocol()), b), r.user(), r.password());
    }
}
