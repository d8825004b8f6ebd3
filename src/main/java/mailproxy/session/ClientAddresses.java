package mailproxy.session;

import java.net.InetSocketAddress;
import java.time.Duration;
import mailproxy.config.ListenerConfig;
import mailproxy.wire.Addresses;
import mailproxy.wire.Connection;
import mailproxy.wire.ProxyHeader;
import mailproxy.wire.ProxyHeaderException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who the client is and what it connected to: the socket's addresses, or, on a
 * PROXY-protocol listener (HAProxy's proxy-protocol.txt), those of the header a trusted
 * balancer sends before TLS and before the greeting. The router, the guard, the backend
 * (XCLIENT, IMAP ID, a PROXY header of ours) and the log line all take the client from
 * here; a header's LOCAL (the balancer's own health check) and UNKNOWN keep the socket's
 * addresses. Set on the session's thread before the greeting, read-only after. It keeps no
 * reference to the connection: a relayed session holds this for hours.
 */
final class ClientAddresses {
    private static final Logger log = LoggerFactory.getLogger(LiveSession.class);

    /** The client: the socket's peer, or the original client a trusted PROXY header names. */
    private InetSocketAddress client;
    /** The address the client connected to: a trusted PROXY header's, else the socket's when first asked. */
    private InetSocketAddress local;
    /** The PROXY header this connection came with, or null. */
    private ProxyHeader header;

    ClientAddresses(InetSocketAddress peer) {
        this.client = peer;
    }

    /**
     * The first step on a PROXY-protocol listener, and only from a trusted balancer.
     *
     * @param timeout limits.proxy-header-timeout, not limits.timeout: a balancer sends its
     *                header at once, and a client that reached this port past the balancer
     *                sends none and waits for a greeting; it is cut after this short bound
     * @return null when the header was read, else why the connection is closed without a word
     */
    Outcome readProxyHeader(Connection connection, ListenerConfig listener, Duration timeout) {
        InetSocketAddress peer = connection.remote();
        if (!listener.trustedProxies().contains(peer.getAddress())) {
            log.info("{} is not in trusted-proxies of listener {}: closed", Addresses.hostPort(peer), listener.name());
            return Outcome.UNTRUSTED_PROXY;
        }
        try {
            header = ProxyHeader.read(connection.socket(), timeout);
        } catch (ProxyHeaderException e) {
            log.info("PROXY header from {} on listener {}: {}", Addresses.hostPort(peer), listener.name(), e.getMessage());
            return Outcome.BAD_PROXY_HEADER;
        }
        if (header.hasAddresses()) {
            client = header.source();
            local = header.destination();
        }
        return null;
    }

    InetSocketAddress client() { return client; }

    /** The address the client connected to: a PROXY header's, else {@code connection}'s, asked once. */
    InetSocketAddress local(Connection connection) {
        if (local == null) local = connection.local(); // a PROXY header may have set it
        return local;
    }

    /** The PROXY header this connection came with, or null. */
    ProxyHeader header() { return header; }

    /** The log line's {@code client=} field, and {@code via=} the balancer ({@code connection}'s peer) when a header named the client. */
    String logFields(Connection connection) {
        return "client=" + Addresses.hostPort(client)
                + (header != null && header.hasAddresses() ? " via=" + Addresses.hostPort(connection.remote()) : "");
    }
}
