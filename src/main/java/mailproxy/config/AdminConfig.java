package mailproxy.config;

import java.net.InetSocketAddress;
import java.util.Set;

/**
 * mailproxy.admin: the HTTP listener for metrics, health, the session list and actions.
 *
 * @param listen where it listens, or null when it is off (the default)
 * @param maxRequestBytes the largest request body or query it reads
 * @param hosts names (lower case, no trailing dot) and IP literals a request's Host may
 *     carry besides loopback ones and the address it reached; the defense against DNS
 *     rebinding (docs/SECURITY.md)
 * @param token the bearer token every request but the health checks must carry, or null
 *     (admin.token-file); never logged: {@link #toString()} shows "***"
 * @param maxScheduledKicks kicks waiting for their kick-after at once (README, "Moving users")
 * @param maxUsersListed the most lines GET /users answers with
 */
public record AdminConfig(InetSocketAddress listen, int maxRequestBytes, Set<String> hosts, String token,
                          int maxScheduledKicks, int maxUsersListed) {
    public static final int DEFAULT_MAX_SCHEDULED_KICKS = 1000;
    public static final int DEFAULT_MAX_USERS_LISTED = 10_000;
    public static final AdminConfig OFF = new AdminConfig(null, 4096, Set.of(), null);

    public AdminConfig {
        hosts = Set.copyOf(hosts);
    }

    /** With the default bounds of the kicks and of GET /users. */
    public AdminConfig(InetSocketAddress listen, int maxRequestBytes, Set<String> hosts, String token) {
        this(listen, maxRequestBytes, hosts, token, DEFAULT_MAX_SCHEDULED_KICKS, DEFAULT_MAX_USERS_LISTED);
    }

    public boolean on() { return listen != null; }

    @Override
    public String toString() {
        return "AdminConfig[listen=" + listen + ", maxRequestBytes=" + maxRequestBytes + ", hosts=" + hosts
                + ", token=" + (token == null ? "none" : "***") + ", maxScheduledKicks=" + maxScheduledKicks
                + ", maxUsersListed=" + maxUsersListed + "]";
    }
}
