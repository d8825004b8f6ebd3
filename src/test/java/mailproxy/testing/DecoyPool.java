package mailproxy.testing;

/**
 * The pool of the attacks on passive marking (docs/SECURITY.md, "Backends and pools"): a
 * real server that every login goes to first (smooth weighted round robin, weight 1000
 * against 1) and a decoy that would answer differently; no health checks, and one failure
 * takes a server out for ten minutes, so that any failure an attacker could cause shows.
 */
public final class DecoyPool {
    private DecoyPool() {}

    /**
     * The body of a backend section for {@code protocol}: the real server on {@code realPort},
     * the decoy on {@code decoyPort}, and {@code protocolKeys} (e.g. {@code port = 143}) in the
     * protocol's section.
     */
    public static String body(String protocol, int realPort, int decoyPort, String protocolKeys) {
        return """
                servers = [ { host = "127.0.0.1", %1$s-port = %2$d, weight = 1000 },
                            { host = "127.0.0.1", %1$s-port = %3$d, weight = 1 } ]
                %1$s { %4$s, balance = round-robin }
                health { interval = 0s }
                max-fails = 1, fail-timeout = 10m
                """.formatted(protocol, realPort, decoyPort, protocolKeys);
    }

    /**
     * A proxy named proxy.test with that pool ({@link #body}) behind one listener of
     * {@code protocol}, named after it.
     */
    public static String config(String protocol, int realPort, int decoyPort, String protocolKeys) {
        return """
                mailproxy {
                  server-name = "proxy.test"
                  backends { pool { %2$s } }
                  routers { r { type = static, default = pool } }
                  listeners = [ { name = %1$s, protocol = %1$s, listen = "127.0.0.1:0", router = r } ]
                }
                """.formatted(protocol, body(protocol, realPort, decoyPort, protocolKeys));
    }
}
