package mailproxy.config;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * mailproxy.guard and mailproxy.state: connection limits, password-guessing throttle, and
 * where their counters live (this process, or Redis shared by several proxies).
 *
 * @param maxConnectionsPerIp   connections at once from one client address (IPv6: one
 *                              {@code ipv6Prefix} network), before login; 0 = no limit
 * @param ipv6Prefix            IPv6 addresses are counted per network of this prefix length
 * @param maxSessionsPerUser    logged-in sessions at once per user, over all proxies sharing
 *                              the state; 0 = no limit
 * @param maxSessionsPerUserIp  logged-in sessions at once of one user from one client address
 *                              (its network, as above) in one protocol, over all proxies
 *                              sharing the state (Dovecot's mail_max_userip_connections);
 *                              0 = no limit
 * @param sessionCountTtl       a connection or session counter in Redis untouched this long
 *                              disappears; live sessions refresh it (a crashed proxy's share
 *                              goes sooner, with its {@link State#instanceLease})
 * @param authDelay             delay before the reply to the first failed login, doubled for
 *                              each further failure in the window
 * @param authMaxDelay          the cap on that delay
 * @param blockAfter            failures from one address within {@code window} that block it;
 *                              0 = never block
 * @param window                how long failures are remembered after the first of them
 * @param blockTime             how long a blocked address stays blocked
 * @param rememberedSecrets     distinct wrong passwords remembered per address and user, so a
 *                              client retrying the same stale password does not escalate
 * @param trustedNetworks       exempt from all of the above
 */
public record GuardConfig(
        int maxConnectionsPerIp,
        int ipv6Prefix,
        int maxSessionsPerUser,
        int maxSessionsPerUserIp,
        Duration sessionCountTtl,
        Duration authDelay,
        Duration authMaxDelay,
        int blockAfter,
        Duration window,
        Duration blockTime,
        int rememberedSecrets,
        List<Network> trustedNetworks,
        State state) {

    /** An address block, {@code address/prefixLength}; the address has its host bits as written. */
    public record Network(InetAddress address, int prefixLength) {}

    /** What the proxy does with logins while the configured Redis cannot be reached. */
    public enum OnRedisDown {
        /** Go on with this process's own counters (limits then hold per proxy). */
        LOCAL,
        /** Refuse logins with the protocol's temporary failure until Redis is back. */
        REFUSE
    }

    /**
     * mailproxy.state.
     *
     * @param redis         "" (counters in this process) or redis[s]://[user:password@]host:port[/db];
     *                      it may hold a password: show it only through {@link #redactUrl}
     * @param keyPrefix     prepended to every Redis key
     * @param onRedisDown   local or refuse
     * @param timeout       connect and per-command timeout to Redis
     * @param localMaxKeys  bound on the in-process table (also the fallback while Redis is down)
     * @param poolSize      Redis connections at most
     * @param retryInterval while Redis is down, how often one call tries it again
     * @param instanceLease how long this proxy's share of the connection and session counts
     *                      in Redis counts after its last word with Redis (it renews it every
     *                      third of this while alive): a crashed proxy's places free themselves
     * @param redisCaFile   with rediss://, the PEM file of the CAs that may sign Redis's
     *                      certificate; null: the JDK's trust store
     */
    public record State(String redis, String keyPrefix, OnRedisDown onRedisDown, Duration timeout,
                        int localMaxKeys, int poolSize, Duration retryInterval, Duration instanceLease,
                        Path redisCaFile) {
        /** As the record's text, with the Redis password redacted: a record may end up in a log line. */
        @Override
        public String toString() {
            return "State[redis=" + redactUrl(redis) + ", keyPrefix=" + keyPrefix + ", onRedisDown=" + onRedisDown
                    + ", timeout=" + timeout + ", localMaxKeys=" + localMaxKeys + ", poolSize=" + poolSize
                    + ", retryInterval=" + retryInterval + ", instanceLease=" + instanceLease
                    + ", redisCaFile=" + redisCaFile + "]";
        }
    }

    /**
     * A Redis URL fit for an error or a log line: the user kept, the password
     * {@code ***} ("redis://user:***@host:port"). Works on malformed text too: everything
     * between the scheme and the last "@" is the user part (a password may hold "/" or "@").
     */
    public static String redactUrl(String url) {
        if (url == null) return null;
        int at = url.lastIndexOf('@');
        if (at < 0) return url;
        int scheme = url.indexOf("://");
        int start = scheme >= 0 && scheme < at ? scheme + 3 : 0;
        String userInfo = url.substring(start, at);
        int colon = userInfo.indexOf(':');
        String shown = colon < 0 ? "***" : userInfo.substring(0, colon) + ":***";
        return url.substring(0, start) + shown + url.substring(at);
    }
}
