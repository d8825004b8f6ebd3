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
        Map<String, Router> out = new HashMap<>();
        for (RouterConfig rc : config.routers().values()) {
            Router r = switch (rc) {
                case RouterConfig.Static s -> new StaticRouter(s, pools);
                case RouterConfig.AuthHttp a -> new AuthHttpRouter(a, config.backends());
            };
            out.put(rc.name(), r);
        }
        return Map.copyOf(out);
    }
}
