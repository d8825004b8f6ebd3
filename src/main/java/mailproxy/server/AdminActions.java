package mailproxy.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import mailproxy.config.Protocol;
import mailproxy.route.Pool;
import mailproxy.route.PoolServer;
import mailproxy.session.LiveSession;
import mailproxy.session.SessionInfo;
import mailproxy.wire.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the admin listener asks of the running server (docs/ARCHITECTURE.md,
 * "Observability"), done on the generation in force: readiness, the open sessions, closing
 * a user's sessions, draining pool servers. {@link ProxyServer} exposes each of them.
 */
final class AdminActions {
    /** The server's own logger: these lines are the server's story. */
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    /** The generation in force; null while the server stops. */
    private final Supplier<Generation> current;
    private final Sessions sessions;
    private final Kicks kicks;
    private final Moves moves;

    AdminActions(Supplier<Generation> current, Sessions sessions, Kicks kicks, Moves moves) {
        this.current = current;
        this.sessions = sessions;
        this.kicks = kicks;
        this.moves = moves;
    }

    /** Why the listening server should get no new clients: draining, or a pool without a live server. */
    String notReady() {
        Generation g = current.get();
        if (g == null) return "stopping: draining sessions";
        for (Pool pool : g.pools().all()) {
            for (Protocol p : Protocol.values()) {
                boolean serves = false;
                boolean live = false;
                for (PoolServer s : pool.servers()) {
                    if (!s.serves(p)) continue;
                    serves = true;
                    if (!s.draining() && s.up(p)) {
                        live = true;
                        break;
                    }
                }
                if (serves && !live) return "pool " + pool.name() + " has no live server for " + p.id();
            }
        }
        return null;
    }

    List<SessionInfo> sessions() {
        return sessions.all().stream().map(LiveSession::info)
                .sorted((a, b) -> a.since().compareTo(b.since())).toList();
    }

    int closeUser(String user) {
        int n = 0;
        for (LiveSession s : sessions.all()) {
            if (s.user().equalsIgnoreCase(user)) {
                s.stop();
                n++;
            }
        }
        if (n > 0) log.info("closed {} session{} of user {} (admin)", n, n == 1 ? "" : "s", LogSafe.value(user));
        return n;
    }

    List<String> drain(String hostPort) {
        List<PoolServer> drained = matching(hostPort, true);
        if (!drained.isEmpty()) log.info("draining {} (admin)", names(drained));
        return names(drained);
    }

    ProxyServer.Action drain(String hostPort, Duration kickAfter) {
        // room for the kicks is checked before anything is drained: a refused drain changes nothing
        int n = matching(hostPort, null).size();
        if (n > 0 && !kicks.room(n)) return new ProxyServer.Action(503, "too many kicks are waiting already (admin.max-scheduled-kicks)\n");
        List<PoolServer> drained = matching(hostPort, true);
        if (drained.isEmpty()) return new ProxyServer.Action(404, "no pool server " + LogSafe.text(hostPort) + "\n");
        log.info("draining {} (admin)", names(drained));
        return moves.drain(hostPort, kickAfter, drained);
    }

    List<String> undrain(String hostPort) {
        List<PoolServer> back = matching(hostPort, false);
        if (!back.isEmpty()) log.info("no longer draining {} (admin)", names(back));
        moves.undrain(back);
        return names(back);
    }

    private static List<String> names(List<PoolServer> servers) {
        return servers.stream().map(s -> s.pool() + " " + s.id()).toList();
    }

    /** The pool servers at {@code hostPort}, drained (true), undrained (false) or only found (null). */
    private List<PoolServer> matching(String hostPort, Boolean drain) {
        Generation g = current.get();
        if (g == null) return List.of();
        List<PoolServer> names = new ArrayList<>();
        for (Pool pool : g.pools().all()) {
            for (PoolServer s : pool.servers()) {
                boolean match = s.id().equalsIgnoreCase(hostPort);
                for (Protocol p : Protocol.values()) {
                    if (s.serves(p) && s.target(p).toString().equalsIgnoreCase(hostPort)) match = true;
                }
                if (match) {
                    if (drain == Boolean.TRUE) s.drain();
                    else if (drain == Boolean.FALSE) s.undrain();
                    names.add(s);
                }
            }
        }
        return names;
    }
}
