package mailproxy.testing;

/** Config text of the smallest proxy there is, for tests that write a config file and run the proxy as users do. */
public final class SimpleConfig {
    private SimpleConfig() {}

    /**
     * One listener of {@code protocol}, named after it, on 127.0.0.1:{@code listenPort},
     * routing every login to one backend on 127.0.0.1:{@code backendPort}. HOCON merges a
     * further {@code mailproxy { ... }} block appended to it.
     */
    public static String oneListener(String protocol, int backendPort, int listenPort) {
        return """
                mailproxy {
                  backends { b { host = "127.0.0.1", %1$s { port = %2$d } } }
                  routers { r { type = static, default = b } }
                  listeners = [ { name = %1$s, protocol = %1$s, listen = "127.0.0.1:%3$d" } ]
                }
                """.formatted(protocol, backendPort, listenPort);
    }
}
