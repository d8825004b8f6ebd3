package mailproxy.server;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import mailproxy.wire.IdleSweeper;

/**
 * The live sessions, owned by the ProxyServer, so that a stop can wait for them or close
 * them, and the sweeper that ends their relays when idle.
 */
final class Sessions implements AutoCloseable {
    private final Set<SessionContext> live = ConcurrentHashMap.newKeySet();
    private final IdleSweeper sweeper;

    Sessions(Duration proxyTimeout) {
        this.sweeper = new IdleSweeper(IdleSweeper.periodFor(proxyTimeout));
    }

    IdleSweeper sweeper() { return sweeper; }

    @Override
    public void close() { sweeper.close(); }

    void add(SessionContext s) { live.add(s); }

    void remove(SessionContext s) { live.remove(s); }

    int count() { return live.size(); }

    void closeAll() { live.forEach(SessionContext::closeAll); }
}
