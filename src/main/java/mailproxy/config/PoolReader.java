package mailproxy.config;

import com.typesafe.config.ConfigObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import mailproxy.tls.TlsClient;

/** The pool keys of a backend: servers, passive marking, active health checks, max-tries, affinity. */
final class PoolReader {
    private PoolReader() {}

    /** Active checks run every 10s for a backend with servers; a one-host backend has them only when asked. */
    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

    static Backend.Pooling pooling(Section b, boolean listed) {
        Backend.Pooling d = Backend.Pooling.ONE_HOST;
        int maxFails = b.has("max-fails") ? b.integer("max-fails", 0, 1000) : d.maxFails();
        Duration failWindow = b.has("fail-window") ? b.duration("fail-window", Duration.ofMillis(1)) : d.failWindow();
        Duration failTimeout = b.has("fail-timeout") ? b.duration("fail-timeout", Duration.ofMillis(1)) : d.failTimeout();
        int maxTries = b.has("max-tries") ? b.integer("max-tries", 1, 100) : d.maxTries();
        Backend.Health h = d.health();
        Duration interval = listed ? DEFAULT_INTERVAL : h.interval();
        Section s = b.optionalSection("health");
        if (s != null) {
            if (s.has("interval")) {
                interval = s.duration("interval", Duration.ZERO);
                if (!interval.isZero() && interval.compareTo(Duration.ofMillis(10)) < 0) {
                    throw s.error("interval", "expected 0s (no checks) or at least 10ms, got " + interval);
                }
            }
            h = new Backend.Health(interval,
                    s.has("rise") ? s.integer("rise", 1, 100) : h.rise(),
                    s.has("fall") ? s.integer("fall", 1, 100) : h.fall(),
                    s.has("timeout") ? s.duration("timeout", Duration.ofMillis(10)) : h.timeout(),
                    s.has("tls") ? s.bool("tls") : h.tls());
            s.rejectUnknownKeys();
        } else {
            h = new Backend.Health(interval, h.rise(), h.fall(), h.timeout(), h.tls());
        }
        Backend.Affinity a = new Backend.Affinity(
                b.has("affinity-ttl") ? b.duration("affinity-ttl", Duration.ZERO) : d.affinity().ttl(),
                b.has("affinity-max-users") ? b.integer("affinity-max-users", 1, 10_000_000) : d.affinity().maxUsers(),
                b.has("affinity-rebalance") ? b.oneOf("affinity-rebalance", Backend.Affinity.Rebalance.class)
                        : d.affinity().rebalance());
        return new Backend.Pooling(maxFails, failWindow, failTimeout, maxTries, h, a);
    }

    /**
     * servers = [ { host, weight, protocols, &lt;protocol&gt;-port for each protocol served
     * (imap-port, ...) }, ... ]; every protocol section must have a server that serves it.
     */
    static List<Backend.Server> servers(Section b, Set<Protocol> served, boolean usesTls) {
        List<? extends ConfigObject> objects = b.objects("servers");
        if (objects.isEmpty()) throw b.error("servers", "expected at least one { host = \"...\" }");
        Map<String, TlsClient> tlsByHost = new HashMap<>();
        List<Backend.Server> out = new ArrayList<>();
        for (int i = 0; i < objects.size(); i++) {
            Section s = new Section(objects.get(i).toConfig(), b.path() + ".servers[" + i + "]", b.file());
            String host = s.string("host");
            if (host.isBlank()) throw s.error("host", "expected a host name or address, got an empty string");
            int weight = s.has("weight") ? s.integer("weight", 1, 1000) : 1;
            Set<Protocol> protocols = s.has("protocols") ? protocols(s, served) : served;
            Map<Protocol, Integer> ports = new EnumMap<>(Protocol.class);
            for (Protocol p : Protocol.values()) {
                int port = ownPort(s, p, served, protocols);
                if (port > 0) ports.put(p, port);
            }
            s.rejectUnknownKeys();
            // each server its own TLS client: the host is the name sent as SNI and verified
            // (unless tls-server-name says otherwise); read once per host
            TlsClient tls = tlsByHost.computeIfAbsent(host, h -> TlsReader.backend(b, h, usesTls));
            out.add(new Backend.Server(host, weight, ports, tls, protocols));
        }
        for (Protocol p : served) {
            if (out.stream().noneMatch(server -> server.serves(p))) {
                throw b.error("servers", "no server serves " + p.id() + ": add " + p.id()
                        + " to a server's protocols, or remove the " + p.id() + " { } section");
            }
        }
        return List.copyOf(out);
    }

    /** servers[i].protocols = [imap, pop3]: each one the backend has a section for. */
    private static Set<Protocol> protocols(Section s, Set<Protocol> served) {
        List<String> names = s.strings("protocols");
        if (names.isEmpty()) throw s.error("protocols", "expected at least one of " + ids(served) + " (leave the key out for all)");
        Set<Protocol> out = EnumSet.noneOf(Protocol.class);
        for (String name : names) {
            Protocol p = Arrays.stream(Protocol.values()).filter(q -> q.id().equals(name.trim().toLowerCase(Locale.ROOT)))
                    .findFirst().orElseThrow(() -> s.error("protocols", "expected one of " + ids(served) + ", got '" + name + "'"));
            if (!served.contains(p)) throw s.error("protocols", "the backend has no " + p.id() + " { } section");
            out.add(p);
        }
        return out;
    }

    private static String ids(Set<Protocol> ps) {
        return ps.stream().map(Protocol::id).collect(Collectors.joining(", "));
    }

    private static int ownPort(Section s, Protocol p, Set<Protocol> served, Set<Protocol> protocols) {
        String key = p.id() + "-port";
        if (!s.has(key)) return 0;
        int port = s.integer(key, 1, 65535);
        if (!served.contains(p)) throw s.error(key, "the backend has no " + p.id() + " { } section");
        if (!protocols.contains(p)) throw s.error(key, "this server's protocols leave out " + p.id());
        return port;
    }

    /** Two servers that are the same host and port for a protocol would be one server counted twice. */
    static void rejectDuplicates(Section b, Backend backend) {
        for (Protocol p : Protocol.values()) {
            if (!backend.serves(p)) continue;
            Map<String, Integer> seen = new HashMap<>();
            List<Backend.Server> servers = backend.servers();
            for (int i = 0; i < servers.size(); i++) {
                if (!servers.get(i).serves(p)) continue;
                String id = servers.get(i).host().toLowerCase(Locale.ROOT) + ":" + backend.port(servers.get(i), p);
                Integer before = seen.putIfAbsent(id, i);
                if (before != null) {
                    throw b.error("servers", "servers[" + before + "] and servers[" + i + "] are both " + id
                            + " for " + p.id() + ": give one its own " + p.id() + "-port, or, if only one of them serves "
                            + p.id() + ", list the other's protocols without it (protocols = [...])");
                }
            }
        }
    }
}
