package mailproxy.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import mailproxy.config.Limits;
import mailproxy.session.LiveSession;
import mailproxy.wire.Watchdog;

/**
 * The live sessions, owned by the ProxyServer, so that a stop can wait for them or stop
 * them, and the watchdog that ends idle relays and stalled writes.
 */
final class Sessions implements AutoCloseable {
    private final Set<LiveSession> live = ConcurrentHashMap.newKeySet();
    private final Watchdog watchdog;

    /** @param limits every listener's limits: the watchdog looks often enough for the shortest */
    Sessions(List<Limits> limits) {
        this.watchdog = new Watchdog(periodFor(limits));
    }

    static Duration periodFor(List<Limits> limits) {
        List<Duration> timeouts = new ArrayList<>();
        // the watchdog also ends line reads at their deadline (wire.Connection): a backend's
        // greeting wait is one of them
        for (Limits l : limits) timeouts.addAll(List.of(l.timeout(), l.proxyTimeout(), l.backendTimeout(), l.greetingTimeout()));
        return Watchdog.periodFor(timeouts.toArray(Duration[]::new));
    }

    Watchdog watchdog() { return watchdog; }

    @Override
    public void close() { watchdog.close(); }

    void add(LiveSession s) { live.add(s); }

    void remove(LiveSession s) { live.remove(s); }

    int count() { return live.size(); }

    /** The open sessions now (a snapshot, in no order). */
    List<LiveSession> all() { return List.copyOf(live); }

    /** Closes every session's sockets and wakes those that wait (Auth-Wait). */
    void stopAll() { live.forEach(LiveSession::stop); }
}
