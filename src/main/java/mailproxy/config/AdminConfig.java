package mailproxy.config;

import java.net.InetSocketAddress;

/**
 * mailproxy.admin: the HTTP listener for metrics, health, the session list and actions.
 *
 * @param listen where it listens, or null when it is off (the default)
 * @param maxRequestBytes the largest request body or query it reads
 */
public record AdminConfig(InetSocketAddress listen, int maxRequestBytes) {
    public static final AdminConfig OFF = new AdminConfig(null, 4096);

    public boolean on() { return listen != null; }
}
