package mailproxy.admin;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import mailproxy.server.PoolStatus;
import mailproxy.server.ProxyServer;
import mailproxy.session.SessionInfo;

/**
 * GET /status: what the status page shows, in one JSON document (README, "Admin
 * listener: metrics, health, sessions"): version, config file, when it was read and the last reload's result, the pools with each server's
 * health, the open sessions counted by protocol and listener, and the sessions
 * themselves (never a password: {@link SessionInfo} has none). Login and guard counters
 * the page reads from /metrics, where Prometheus reads them.
 */
final class StatusJson {
    /** Sessions listed one by one at most; past it the page shows the counts only (the answer stays small). */
    static final int MAX_LISTED_SESSIONS = 200;

    private StatusJson() {}

    static String of(ProxyServer server) {
        Json j = new Json().open();
        j.member("version", version());
        j.member("now", Instant.now());
        j.member("config", server.config().source());
        j.member("configLoadedAt", server.configLoadedAt());
        ProxyServer.ReloadResult r = server.lastReload();
        j.name("lastReload");
        if (r == null) j.value((String) null);
        else j.open().member("at", r.at()).member("ok", r.ok()).member("message", r.message()).close();
        String notReady = server.notReady();
        j.member("ready", notReady == null).member("notReady", notReady);
        pools(j, server.poolStatus());
        List<SessionInfo> sessions = server.sessions();
        counts(j, sessions);
        j.member("sessionCount", sessions.size());
        j.name("sessions").openArray();
        for (SessionInfo s : sessions.subList(0, Math.min(sessions.size(), MAX_LISTED_SESSIONS))) {
            j.open().member("id", s.id()).member("protocol", s.protocol()).member("listener", s.listener())
                    .member("client", s.client()).member("user", s.user()).member("backend", s.backend())
                    .member("since", s.since()).member("state", s.state()).member("up", s.up()).member("down", s.down())
                    .close();
        }
        j.closeArray();
        return j.close().toString();
    }

    private static void pools(Json j, List<PoolStatus> pools) {
        j.name("pools").openArray();
        for (PoolStatus p : pools) {
            j.open().member("name", p.name()).name("servers").openArray();
            for (PoolStatus.Server s : p.servers()) {
                j.open().member("id", s.id()).member("weight", s.weight()).member("sessions", s.sessions())
                        .member("draining", s.draining()).name("protocols").openArray();
                for (PoolStatus.Check c : s.protocols()) {
                    j.open().member("protocol", c.protocol()).member("target", c.target()).member("up", c.up())
                            .member("since", c.since()).member("why", c.why())
                            .member("lastCheckAt", c.lastCheckAt()).member("lastCheck", c.lastCheck()).close();
                }
                j.closeArray().close();
            }
            j.closeArray().close();
        }
        j.closeArray();
    }

    /** Open sessions per protocol and listener, sorted, so the page's table does not jump. */
    private static void counts(Json j, List<SessionInfo> sessions) {
        Map<String, Map<String, Integer>> by = new TreeMap<>();
        for (SessionInfo s : sessions) by.computeIfAbsent(s.protocol(), k -> new TreeMap<>()).merge(s.listener(), 1, Integer::sum);
        j.name("sessionsBy").openArray();
        by.forEach((protocol, listeners) -> listeners.forEach((listener, n) ->
                j.open().member("protocol", protocol).member("listener", listener).member("count", n).close()));
        j.closeArray();
    }

    /** The jar's Implementation-Version (pom.xml), "dev" when run from classes. */
    static String version() {
        String v = StatusJson.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
