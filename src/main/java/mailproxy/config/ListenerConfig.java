package mailproxy.config;

import java.net.InetSocketAddress;
import java.util.List;
import mailproxy.wire.CidrSet;

/**
 * One listener (an element of mailproxy.listeners, over mailproxy.listener-defaults): what
 * every listener has, and the options of its protocol in a record of that protocol's own
 * ({@link ImapOptions}, {@link Pop3Options}, {@link SmtpOptions}, {@link LmtpOptions},
 * {@link SieveOptions}), read by that protocol's reader (see {@link Protocol}).
 *
 * @param auth the SASL mechanisms announced and accepted, lower case: never "none" (see
 *     {@link SmtpOptions#authNone()}), and no "external" where no client certificate can
 *     exist (no TLS, or tls-client-auth = none)
 * @param proxyProtocol every connection starts with a PROXY protocol header (v1 or v2)
 * @param trustedProxies peers allowed to send that header; not empty when proxyProtocol
 * @param limits mailproxy.limits with this listener's timeout, max-errors, line-length and
 *     proxy-timeout, where it sets them
 * @param relayBufferSize mailproxy.relay.buffer-size, or this listener's relay-buffer-size
 * @param trace every session writes its protocol dialogue to the mailproxy.trace log
 * @param traceRelayBytes a traced session also shows this many bytes of the relay each way
 * @param options the options of this listener's protocol
 */
public record ListenerConfig(
        String name,
        Protocol protocol,
        List<InetSocketAddress> addresses,
        String router,
        List<String> auth,
        ListenerTls tls,
        boolean proxyProtocol,
        CidrSet trustedProxies,
        Limits limits,
        int relayBufferSize,
        boolean trace,
        int traceRelayBytes,
        Options options) {

    /** A protocol's own listener options: one record per protocol. */
    public interface Options {}

    /** This listener's protocol options as the protocol's own record. */
    public <T extends Options> T options(Class<T> type) {
        if (!type.isInstance(options)) {
            throw new IllegalStateException(protocol.id() + " listener " + name + " has no " + type.getSimpleName());
        }
        return type.cast(options);
    }

    /** Whether {@code mechanism} is announced and accepted here; never for "none". */
    public boolean offers(String mechanism) {
        return auth.stream().anyMatch(m -> m.equalsIgnoreCase(mechanism));
    }
}
