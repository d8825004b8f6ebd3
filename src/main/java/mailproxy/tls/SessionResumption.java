package mailproxy.tls;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a listener lets clients resume a TLS session instead of a full handshake: a resumed
 * handshake skips the certificate and the private-key signature (RFC 8446 §2.2, RFC 5246
 * §7.3), which is most of a full handshake's CPU. nginx's {@code ssl_session_cache},
 * {@code ssl_session_timeout}, {@code ssl_session_tickets} and {@code ssl_session_ticket_key}.
 *
 * @param cacheSize sessions kept in this listener's cache for TLS 1.2 session-id resumption
 *     (RFC 5246 §7.4.1.2); 0 turns the cache off (the JDK keeps one: its 0 means no limit)
 * @param timeout how long a session may be resumed, from the cache or from a ticket (the
 *     ticket's lifetime, RFC 8446 §4.6.1)
 * @param tickets whether session tickets are issued (RFC 8446 §4.6.1; RFC 5077 for TLS 1.2)
 * @param ticketKeys files in nginx's {@code ssl_session_ticket_key} format (48 or 80 random
 *     bytes): the first encrypts new tickets, all decrypt. Instances that share the files
 *     resume each other's tickets. Empty: the provider's own random keys, per listener and
 *     process. {@link TlsProvider#OPENSSL} only.
 */
public record SessionResumption(int cacheSize, Duration timeout, boolean tickets, List<Path> ticketKeys) {
    /** A cache of 20,000 sessions for an hour, tickets with the provider's own keys. */
    public static final SessionResumption DEFAULT = new SessionResumption(20_000, Duration.ofHours(1), true, List.of());

    public SessionResumption {
        Objects.requireNonNull(timeout, "timeout");
        if (cacheSize < 0) throw new IllegalArgumentException("cacheSize < 0: " + cacheSize);
        if (timeout.toSeconds() < 1) throw new IllegalArgumentException("timeout under a second: " + timeout);
        ticketKeys = List.copyOf(ticketKeys);
    }

    /** The timeout in whole seconds, as both providers take it. */
    int timeoutSeconds() {
        return (int) Math.min(Integer.MAX_VALUE, timeout.toSeconds());
    }
}
