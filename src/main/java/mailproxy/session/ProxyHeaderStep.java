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
 * The first step on a PROXY-protocol listener (HAProxy's proxy-protocol.txt): a header
 * before TLS and before the greeting, and only from a trusted balancer. Its source becomes
 * the client address everywhere (log, router, XCLIENT, IMAP ID, guard); LOCAL (the
 * balancer's own health check) and UNKNOWN keep the socket's addresses.
 */
final class ProxyHeaderStep {
    private static final Logger log = LoggerFactory.getLogger(LiveSession.class);

    /** The header read, or why the connection is closed without a word. */
    record Result(ProxyHeader header, Outcome refused) {}

    private ProxyHeaderStep() {}

    /**
     * @param timeout limits.proxy-header-timeout, not limits.timeout: a balancer sends its
     *                header at once, and a client that reached this port past the balancer
     *                sends none and waits for a greeting; it is cut after this short bound
     */
    static Result read(Connection client, ListenerConfig listener, Duration timeout) {
        InetSocketAddress peer = client.remote();
        if (!listener.trustedProxies().contains(peer.getAddress())) {
            log.info("{} is not in trusted-proxies of listener {}: closed", Addresses.hostPort(peer), listener.name());
            return new Result(null, Outcome.UNTRUSTED_PROXY);
        }
        try {
            return new Result(ProxyHeader.read(client.socket(), timeout), null);
        } catch (ProxyHeaderException e) {
            log.info("PROXY header from {} on listener {}: {}", Addresses.hostPort(peer), listener.name(), e.getMessage());
            return new Result(null, Outcome.BAD_PROXY_HEADER);
        }
    }
}
