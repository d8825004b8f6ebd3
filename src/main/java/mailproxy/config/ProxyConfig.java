package mailproxy.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The whole configuration, read once at startup; nothing here changes afterwards. */
public record ProxyConfig(
        String source,
        String serverName,
        int maxConnections,
        Duration drainTimeout,
        Limits limits,
        int relayBufferSize,
        Map<String, Backend> backends,
        Map<String, RouterConfig> routers,
        String defaultRouter,
        List<ListenerConfig> listeners,
        GuardConfig guard,
        AdminConfig admin,
        TraceConfig trace) {

    /** Without a guard section: reference.conf's guard and state defaults. */
    public ProxyConfig(String source, String serverName, int maxConnections, Duration drainTimeout, Limits limits,
            int relayBufferSize, Map<String, Backend> backends, Map<String, RouterConfig> routers,
            String defaultRouter, List<ListenerConfig> listeners) {
        this(source, serverName, maxConnections, drainTimeout, limits, relayBufferSize, backends, routers,
                defaultRouter, listeners, ConfigLoader.defaultGuard(), AdminConfig.OFF, TraceConfig.NONE);
    }
}
