package mailproxy.config;

import java.net.InetSocketAddress;
import mailproxy.wire.CidrSet;

/** mailproxy.admin and mailproxy.trace. */
final class ObservabilityReader {
    private ObservabilityReader() {}

    static AdminConfig admin(Section m) {
        Section a = m.section("admin");
        String listen = a.string("listen").trim();
        int max = (int) a.bytes("max-request-size", 256, 1 << 20);
        boolean remote = a.bool("allow-remote");
        InetSocketAddress address = null;
        if (!listen.isEmpty()) {
            address = ConfigLoader.address(a, listen);
            if (!address.getAddress().isLoopbackAddress() && !remote) {
                throw a.error("listen", "the admin listener can reload, drain and close sessions and has no password: "
                        + "it listens on loopback (\"127.0.0.1:9090\") unless allow-remote = true");
            }
        }
        a.rejectUnknownKeys();
        return new AdminConfig(address, max);
    }

    static TraceConfig trace(Section m) {
        Section t = m.section("trace");
        CidrSet clients;
        try {
            clients = CidrSet.parse(t.strings("clients"));
        } catch (IllegalArgumentException e) {
            throw t.error("clients", e.getMessage());
        }
        TraceConfig c = TraceConfig.of(t.strings("users"), clients, t.integer("max-lines", 10, 100_000),
                t.bytes("pending-bytes", 1024, 1L << 30), t.bytes("pending-total", 1024, 1L << 40));
        t.rejectUnknownKeys();
        return c;
    }
}
