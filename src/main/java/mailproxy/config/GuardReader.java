package mailproxy.config;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import mailproxy.tls.ClientSocketFactories;
import mailproxy.tls.TlsConfigException;

/** mailproxy.guard and mailproxy.state. */
final class GuardReader {
    private GuardReader() {}

    static GuardConfig read(Section m) {
        Section g = m.section("guard");
        GuardConfig.State state = state(m.section("state"));
        List<GuardConfig.Network> trusted = new ArrayList<>();
        for (String cidr : g.strings("trusted-networks")) trusted.add(network(g, cidr));
        GuardConfig c = new GuardConfig(
                g.integer("max-connections-per-ip", 0, 1_000_000),
                g.integer("ipv6-prefix", 1, 128),
                g.integer("max-sessions-per-user", 0, 1_000_000),
                g.integer("max-sessions-per-user-ip", 0, 1_000_000),
                g.duration("session-count-ttl", Duration.ofMinutes(1)),
                g.duration("auth-delay", Duration.ZERO),
                g.duration("auth-max-delay", Duration.ZERO),
                g.integer("block-after", 0, 1_000_000),
                g.duration("window", Duration.ofSeconds(1)),
                g.duration("block-time", Duration.ofSeconds(1)),
                g.integer("remembered-passwords", 0, 16),
                List.copyOf(trusted),
                state);
        if (c.authMaxDelay().compareTo(c.authDelay()) < 0) {
            throw g.error("auth-max-delay", "must be at least auth-delay (" + c.authDelay() + ")");
        }
        g.rejectUnknownKeys();
        return c;
    }

    private static GuardConfig.State state(Section s) {
        String redis = s.secretString("redis").trim();
        boolean tls = !redis.isEmpty() && redisUrl(s, redis);
        String caFile = s.string("redis-ca-file").trim();
        Path ca = caFile.isEmpty() ? null : Path.of(caFile);
        if (ca != null) {
            if (!tls) throw s.error("redis-ca-file", "only for TLS to Redis: redis = \"rediss://...\"");
            try {
                ClientSocketFactories.trusting(ca); // read once now: a bad file stops startup, not the first login
            } catch (TlsConfigException e) {
                throw s.error("redis-ca-file", e.getMessage());
            }
        }
        GuardConfig.State st = new GuardConfig.State(redis, s.string("key-prefix"),
                s.oneOf("on-redis-down", GuardConfig.OnRedisDown.class),
                s.duration("timeout", Duration.ofMillis(10)),
                s.integer("local-max-keys", 100, 100_000_000),
                s.integer("pool-size", 1, 1000),
                s.duration("retry-interval", Duration.ofMillis(100)),
                s.duration("instance-lease", Duration.ofSeconds(1)),
                ca);
        s.rejectUnknownKeys();
        return st;
    }

    /**
     * Checks redis://host:port[/db] or rediss://... (TLS); true for rediss. The URL may
     * hold a password: errors show it redacted (GuardConfig.redactUrl).
     */
    private static boolean redisUrl(Section s, String url) {
        String expected = "expected redis://[user:password@]host:port[/db] or rediss://... (TLS), got '"
                + GuardConfig.redactUrl(url) + "'";
        URI u;
        try {
            u = new URI(url);
        } catch (URISyntaxException e) {
            throw s.error("redis", expected);
        }
        boolean tls = "rediss".equals(u.getScheme());
        if (!(tls || "redis".equals(u.getScheme())) || u.getHost() == null) throw s.error("redis", expected);
        String path = u.getPath() == null ? "" : u.getPath();
        if (!path.isEmpty() && !path.equals("/") && !path.matches("/[0-9]{1,2}")) {
            throw s.error("redis", "expected a database number after the port, got '" + GuardConfig.redactUrl(url) + "'");
        }
        return tls;
    }

    /** "192.0.2.0/24", "2001:db8::/32", or an address alone (all its bits). Literals only, no DNS. */
    static GuardConfig.Network network(Section s, String text) {
        String t = text.trim();
        int slash = t.indexOf('/');
        String addr = slash < 0 ? t : t.substring(0, slash);
        boolean v6 = addr.indexOf(':') >= 0;
        if (!(v6 ? addr.matches("[0-9A-Fa-f:.]+") : addr.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}"))) {
            throw s.error("trusted-networks", "expected an address block such as 10.0.0.0/8 or 2001:db8::/32, got '" + text + "'");
        }
        InetAddress a;
        try {
            a = InetAddress.getByName(addr); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw s.error("trusted-networks", "not an IP address: '" + text + "'");
        }
        int max = a.getAddress().length * 8;
        int prefix = max;
        if (slash >= 0) {
            String p = t.substring(slash + 1);
            prefix = p.matches("[0-9]{1,3}") ? Integer.parseInt(p) : -1;
            if (prefix < 0 || prefix > max) {
                throw s.error("trusted-networks", "prefix length must be 0 to " + max + " in '" + text + "'");
            }
        }
        return new GuardConfig.Network(a, prefix);
    }
}
