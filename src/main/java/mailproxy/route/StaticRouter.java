package mailproxy.route;

import java.time.Duration;
import mailproxy.config.RouterConfig;

/**
 * The embedded map, like Perdition's: a user as written, else the domain after '@', else
 * the default. The backend checks the password; the proxy only forwards the login.
 * SMTP MX mode has no user: there the first recipient's address is looked up the same way.
 * The answer is the backend's pool; which server of it is the pool's policy.
 */
final class StaticRouter implements Router {
    private final RouterConfig.Static config;
    private final Pools pools;

    StaticRouter(RouterConfig.Static config, Pools pools) {
        this.config = config;
        this.pools = pools;
    }

    @Override
    public Route route(LoginRequest r) {
        String user = r.routingKey();
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
        Pool pool = pools.get(name);
        if (pool == null) return new Route.Unavailable("no pool for backend " + name);
        if (!pool.backend().serves(r.protocol())) {
            return new Route.Unavailable("backend " + name + " has no " + r.protocol().id() + " section");
        }
        return new Route.Ok(pool, r.user(), r.password());
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
