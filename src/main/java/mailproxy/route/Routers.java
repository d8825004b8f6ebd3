package mailproxy.route;

import java.util.HashMap;
import java.util.Map;
import mailproxy.config.ProxyConfig;
import mailproxy.config.RouterConfig;

/** Builds one Router per configured name. */
public final class Routers {
    private Routers() {}

    /** {@code pools}: the pools of {@code config} ({@link Pools#start}), which static routers route to. */
    public static Map<String, Router> build(ProxyConfig config, Pools pools) {
        return build(config, pools, Map.of());
    }

    /**
     * Like {@link #build(ProxyConfig, Pools)}, after a reload: an auth_http router of the same
     * name and the same max-concurrent, queue and queue-timeout goes on with its predecessor's
     * {@link CallLimiter}, so that logins still under way with the old one count against the
     * same bound (README, "Reconnect storms").
     */
    public static Map<String, Router> build(ProxyConfig config, Pools pools, Map<String, Router> previous) {
        Map<String, Router> out = new HashMap<>();
        for (RouterConfig rc : config.routers().values()) {
            Router r = switch (rc) {
                case RouterConfig.Static s -> new StaticRouter(s, pools);
                case RouterConfig.AuthHttp a -> new AuthHttpRouter(a, config.backends(), limiter(a, previous.get(a.name())));
            };
            out.put(rc.name(), r);
        }
        return Map.copyOf(out);
    }

    private static CallLimiter limiter(RouterConfig.AuthHttp a, Router before) {
        CallLimiter l = before == null ? null : before.limiter();
        return l != null && l.settings().equals(a.limit()) ? l : new CallLimiter(a.name(), a.limit());
    }
}
