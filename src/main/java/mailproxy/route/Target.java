package mailproxy.route;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import mailproxy.config.Backend;
import mailproxy.wire.Addresses;

/**
 * One backend server for one protocol: where to connect and how to log in there
 * ({@code options} holds the per-protocol login style, ID, XCLIENT and AUTH choices).
 *
 * <p>A value like a record (equal when host, port and options are), with two things made
 * once rather than per login: the text {@link #toString()} gives, and, when the host is an
 * IP address literal, the socket address to connect to. A host name is still looked up on
 * every connect, so a change in DNS is followed (within the JDK's address cache).
 */
public final class Target {
    private final String host;
    private final int port;
    private final Backend options;
    private final String text;
    /** The address to connect to when {@link #host} is an IP literal (no lookup), else null. */
    private final InetSocketAddress literal;

    public Target(String host, int port, Backend options) {
        this.host = Objects.requireNonNull(host, "host");
        this.port = port;
        this.options = options;
        this.text = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        this.literal = literalAddress(host, port);
    }

    private static InetSocketAddress literalAddress(String host, int port) {
        if (port < 0 || port > 0xffff) return null; // made per call then, and refused there as before
        InetAddress a = Addresses.literal(host);
        return a == null ? null : new InetSocketAddress(a, port);
    }

    public String host() { return host; }

    public int port() { return port; }

    public Backend options() { return options; }

    /**
     * Where to connect: made once for an IP literal; for a host name, a new lookup on each
     * call (an unresolved name gives an unresolved address, which connect reports).
     */
    public InetSocketAddress address() {
        return literal != null ? literal : new InetSocketAddress(host, port);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Target t && port == t.port && host.equals(t.host) && Objects.equals(options, t.options);
    }

    @Override
    public int hashCode() { return Objects.hash(host, port, options); }

    @Override
    public String toString() { return text; }
}
