package mailproxy.server;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The live sessions, owned by the ProxyServer, so that a stop can wait for them or close them. */
final class Sessions {
    private final Set<SessionContext> live = ConcurrentHashMap.newKeySet();

    void add(SessionContext s) { live.add(s); }

    void remove(SessionContext s) { live.remove(s); }

    int count() { return live.size(); }

    void closeAll() { live.forEach(SessionContext::closeAll); }
}
