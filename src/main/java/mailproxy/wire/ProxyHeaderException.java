package mailproxy.wire;

import java.io.IOException;

/**
 * A PROXY protocol header that is missing, malformed, cut short or too slow. The message is
 * a short reason fit for one log line: client bytes in it have been through {@link LogSafe}.
 * The connection must be closed without a reply (the PROXY protocol spec §2.1: "abort the
 * connection").
 */
public final class ProxyHeaderException extends IOException {
    public ProxyHeaderException(String reason) {
        super(reason);
    }
}
