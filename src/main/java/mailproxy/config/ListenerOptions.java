package mailproxy.config;

import java.time.Duration;
import java.util.List;
import mailproxy.wire.CidrSet;

/**
 * Listener keys beyond the basics: the PROXY protocol and who may send it, and nginx's
 * per-server {} overrides of the global limits. Kept apart from ListenerReader so each
 * stays readable.
 */
final class ListenerOptions {
    private ListenerOptions() {}

    static final List<String> KEYS = List.of("proxy-protocol", "trusted-proxies",
            // nginx's per-server {} overrides; absent = the mailproxy.limits / relay value
            "timeout", "max-errors", "line-length", "proxy-timeout", "relay-buffer-size");

    /** The global limits with this listener's timeout, max-errors, line-length and proxy-timeout, where set. */
    static Limits limits(Section s, Limits global) {
        // the same bounds as the mailproxy.limits keys they override
        Integer lineLength = s.has("line-length") ? (int) s.bytes("line-length", 64, 1 << 20) : null;
        Integer maxErrors = s.has("max-errors") ? s.integer("max-errors", 1, 1000) : null;
        Duration timeout = s.has("timeout") ? s.duration("timeout", Duration.ofSeconds(1)) : null;
        Duration proxyTimeout = s.has("proxy-timeout") ? s.duration("proxy-timeout", Duration.ofSeconds(1)) : null;
        return global.withOverrides(lineLength, maxErrors, timeout, proxyTimeout);
    }

    /** relay-buffer-size over mailproxy.relay.buffer-size. */
    static int relayBufferSize(Section s, int global) {
        return s.has("relay-buffer-size") ? (int) s.bytes("relay-buffer-size", 512, 1 << 20) : global;
    }

    /**
     * trusted-proxies, which proxy-protocol = true requires: the PROXY protocol spec (§5)
     * warns that a header accepted from anyone lets any client pick its own address.
     */
    static CidrSet trustedProxies(Section s, boolean proxyProtocol) {
        CidrSet set;
        try {
            set = CidrSet.parse(s.strings("trusted-proxies"));
        } catch (IllegalArgumentException e) {
            throw s.error("trusted-proxies", e.getMessage());
        }
        if (proxyProtocol && set.isEmpty()) {
            throw s.error("trusted-proxies", "proxy-protocol = true needs the addresses of the load balancers allowed to "
                    + "send the PROXY header, such as [\"10.0.0.0/8\"]");
        }
        return set;
    }
}
