package mailproxy.server;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import mailproxy.config.Protocol;
import mailproxy.route.Pool;
import mailproxy.route.PoolServer;

/**
 * One pool as the admin's status page shows it (README, "Admin listener: metrics, health, sessions"): a snapshot
 * taken per request, so the admin package needs no route type.
 */
public record PoolStatus(String name, List<Server> servers) {
    /** One server: its id (host:port of its first protocol), weight, open sessions, drain, health per protocol. */
    public record Server(String id, int weight, int sessions, boolean draining, List<Check> protocols) {}

    /**
     * One protocol of one server.
     *
     * @param since when up/down last changed, null when it never did
     * @param why what changed it, null when it never did
     * @param lastCheck the last active check, "ok" or why it failed; null before the first (or without checks)
     */
    public record Check(String protocol, String target, boolean up, Instant since, String why,
                        Instant lastCheckAt, String lastCheck) {}

    static PoolStatus of(Pool pool) {
        List<Server> servers = new ArrayList<>();
        for (PoolServer s : pool.servers()) {
            List<Check> checks = new ArrayList<>();
            for (Protocol p : Protocol.values()) {
                if (!s.serves(p)) continue;
                PoolServer.Health h = s.health(p);
                checks.add(new Check(p.id(), s.target(p).toString(), h.up(), h.since(), h.why(), h.lastCheckAt(), h.lastCheck()));
            }
            servers.add(new Server(s.id(), s.weight(), s.active(), s.draining(), checks));
        }
        return new PoolStatus(pool.name(), servers);
    }
}
