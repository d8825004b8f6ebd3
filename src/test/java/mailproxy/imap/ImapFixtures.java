package mailproxy.imap;

import java.io.IOException;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;

/** Config text and small helpers shared by the IMAP tests. */
final class ImapFixtures {
    private ImapFixtures() {}

    /**
     * A proxy with one IMAP listener named "imap" routing everyone to one backend.
     *
     * @param imapOptions extra keys for the backend's imap section, e.g. ", send-id = true"
     * @param limits      keys for mailproxy.limits, e.g. "timeout = 1s"
     */
    static String config(String host, int backendPort, String imapOptions, String limits) {
        return """
                mailproxy {
                  limits { %s }
                  backends { store { host = "%s", imap { port = %d, send-id = false %s } } }
                  routers { r { type = static, default = store } }
                  listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0" } ]
                }
                """.formatted(limits, host, backendPort, imapOptions);
    }

    static TestProxy proxy(int backendPort, String imapOptions, String limits) throws Exception {
        return TestProxy.start(config("127.0.0.1", backendPort, imapOptions, limits));
    }

    /** Connects to the proxy and reads its greeting. */
    static RawClient connect(TestProxy proxy) throws IOException {
        RawClient c = RawClient.connect(proxy.port("imap"));
        c.expect("* OK [CAPABILITY ");
        return c;
    }
}
