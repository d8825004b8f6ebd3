package mailproxy.config;

import java.net.InetSocketAddress;
import java.util.LinkedHashSet;
import java.util.Set;
import mailproxy.wire.CidrSet;
import mailproxy.wire.LogSafe;

/** mailproxy.admin and mailproxy.trace. */
final class ObservabilityReader {
    private ObservabilityReader() {}

    static AdminConfig admin(Section m) {
        Section a = m.section("admin");
        String listen = a.string("listen").trim();
        int max = (int) a.bytes("max-request-size", 256, 1 << 20);
        boolean remote = a.bool("allow-remote");
        Set<String> hosts = new LinkedHashSet<>();
        for (String h : a.strings("hosts")) {
            String name = AdminHosts.normalize(h);
            if (name == null) throw a.error("hosts", "expected host names or IP addresses without a port, got '" + LogSafe.text(h) + "'");
            hosts.add(name);
        }
        String token = AdminTokenFile.read(a, a.string("token-file").trim());
        InetSocketAddress address = null;
        if (!listen.isEmpty()) {
            address = ListenerReader.address(a, listen);
            if (!address.getAddress().isLoopbackAddress() && !remote) {
                throw a.error("listen", "the admin listener can reload, drain and close sessions: "
                        + "it listens on loopback (\"127.0.0.1:9090\") unless allow-remote = true (with a token-file)");
            }
            if (remote && token == null) {
                throw a.error("token-file", "required with allow-remote = true: whoever reaches a remote admin listener "
                        + "could reload, drain and close sessions");
            }
            // the name the listener was configured with is one its clients may use
            String named = AdminHosts.normalize(AdminHosts.hostOf(listen));
            if (named != null) hosts.add(named);
        }
        int kicks = a.integer("max-scheduled-kicks", 1, 1_000_000);
        int listed = a.integer("max-users-listed", 1, 10_000_000);
        a.rejectUnknownKeys();
        return new AdminConfig(address, max, hosts, token, kicks, listed);
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
