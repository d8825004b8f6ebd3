package mailproxy.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import mailproxy.config.ListenerConfig;
import mailproxy.config.ProxyConfig;
import mailproxy.wire.Addresses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bound listeners, one per listen address in config order, and how that set changes:
 * bound at start, rebound on a reload (docs/ARCHITECTURE.md, "Reloading"), closed at the
 * stop. Changed only under {@link ProxyServer}'s lock; read by anyone.
 */
final class ListenerSet {
    /** The server's own logger: these lines are the server's story. */
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    private final Permits permits;
    private final Sessions sessions;
    /** Session ids, counted over every listener. */
    private final AtomicLong ids = new AtomicLong();
    /** The listeners in force, in config order. */
    private volatile List<Listener> bound = List.of();

    ListenerSet(Permits permits, Sessions sessions) {
        this.permits = permits;
        this.sessions = sessions;
    }

    /**
     * The sockets for {@code config}, one per listen address in config order: a listener
     * bound already to a fixed address (same protocol) keeps its socket; new addresses are
     * bound. Nothing else changes here, so a failed bind leaves everything as it was.
     */
    List<Listener> bind(ProxyConfig config) throws IOException {
        List<Listener> old = bound;
        List<Listener> out = new ArrayList<>();
        try {
            for (ListenerConfig l : config.listeners()) {
                for (InetSocketAddress a : l.addresses()) {
                    Listener existing = a.getPort() == 0 ? null : old.stream()
                            .filter(o -> o.protocol() == l.protocol() && o.requested().equals(a) && !out.contains(o))
                            .findFirst().orElse(null);
                    if (existing != null) {
                        out.add(existing);
                        continue;
                    }
                    try {
                        out.add(new Listener(a, l.protocol(), permits, ids, sessions));
                    } catch (IOException e) {
                        throw new IOException("cannot listen on " + Addresses.hostPort(a) + " (" + l.name() + "): " + e.getMessage(), e);
                    }
                }
            }
        } catch (IOException e) {
            for (Listener l : out) if (!old.contains(l)) l.close();
            throw e;
        }
        return out;
    }

    /**
     * Puts {@code next} (from {@link #bind}, each listener served already) in force: the
     * listeners not in it stop accepting, the new ones start.
     */
    void take(List<Listener> next) {
        List<Listener> old = bound;
        for (Listener l : old) {
            if (!next.contains(l)) {
                l.close();
                log.info("{} no longer listening on {}", l.protocol().id(), Addresses.hostPort(l.address()));
            }
        }
        for (Listener l : next) {
            if (!old.contains(l)) {
                l.start();
                // the name is what the audit line, /sessions and the metrics call it (README, "Configuration")
                log.info("{} listening on {} (listener {})", l.protocol().id(), Addresses.hostPort(l.address()), l.name());
            }
        }
        bound = next;
    }

    /** Bound addresses, in config order (ports resolved when the config said 0). */
    List<InetSocketAddress> addresses() {
        return bound.stream().map(Listener::address).toList();
    }

    /** The first bound address of the listener with this name. */
    InetSocketAddress address(String listenerName) {
        return bound.stream().filter(l -> l.name().equals(listenerName)).findFirst()
                .map(Listener::address).orElseThrow(() -> new IllegalArgumentException("no listener " + listenerName));
    }

    /** Stops accepting on every listener (the stop). */
    void close() {
        bound.forEach(Listener::close);
    }
}
