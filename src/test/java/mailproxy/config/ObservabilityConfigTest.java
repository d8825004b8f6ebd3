package mailproxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** mailproxy.admin, mailproxy.trace and the listeners' trace keys: defaults, values, errors. */
class ObservabilityConfigTest {
    private static ProxyConfig read(String body) {
        return ConfigLoader.parse("mailproxy {\n" + body + "\n}\n", "my.conf");
    }

    private static final String LISTENER = """
            backends { b { host = "127.0.0.1", imap { port = 143 } } }
            routers { r { type = static, default = b } }
            """;

    @Test
    void defaultsAreOff() {
        ProxyConfig c = read(LISTENER + "listeners = [ { protocol = imap, listen = \"127.0.0.1:1143\" } ]");
        assertFalse(c.admin().on());
        assertNull(c.admin().listen());
        assertEquals(4096, c.admin().maxRequestBytes());
        assertEquals(1000, c.admin().maxScheduledKicks());
        assertEquals(10_000, c.admin().maxUsersListed());
        assertEquals(TraceConfig.NONE, c.trace());
        assertFalse(c.listeners().get(0).trace());
        assertEquals(0, c.listeners().get(0).traceRelayBytes());
    }

    @Test
    void valuesAreRead() throws Exception {
        ProxyConfig c = read(LISTENER + """
                admin { listen = "127.0.0.1:9090", max-request-size = 1k, max-scheduled-kicks = 5, max-users-listed = 7 }
                trace { users = [Alice, bob], clients = ["127.0.0.0/8", "2001:db8::/32"], max-lines = 50,
                        pending-bytes = 4k, pending-total = 1m }
                listeners = [ { protocol = imap, listen = "127.0.0.1:1143", trace = true, trace-relay-bytes = 2k } ]
                """);
        assertEquals(new InetSocketAddress("127.0.0.1", 9090), c.admin().listen());
        assertEquals(1024, c.admin().maxRequestBytes());
        assertEquals(5, c.admin().maxScheduledKicks());
        assertEquals(7, c.admin().maxUsersListed());
        assertEquals(Set.of("alice", "bob"), c.trace().users());
        assertTrue(c.trace().clients().contains(InetAddress.getByName("127.1.2.3")));
        assertFalse(c.trace().clients().contains(InetAddress.getByName("10.0.0.1")));
        assertEquals(50, c.trace().maxLines());
        assertEquals(4096, c.trace().pendingBytes());
        assertEquals(1 << 20, c.trace().pendingTotal());
        assertTrue(c.listeners().get(0).trace());
        assertEquals(2048, c.listeners().get(0).traceRelayBytes());
    }

    @Test
    void aRemoteAdminAddressMustBeAllowedExplicitly() {
        String m = assertThrows(ConfigException.class, () -> read("admin { listen = \"*:9090\" }")).getMessage();
        assertTrue(m.contains("mailproxy.admin.listen:") && m.contains("allow-remote"), m);
        // with allow-remote, a token is required: see AdminConfigTest
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "admin { listen = \"127.0.0.1:99999\" }        | mailproxy.admin.listen",
        "admin { max-request-size = 10 }              | mailproxy.admin.max-request-size",
        "admin { port = 9090 }                        | mailproxy.admin.port",
        "admin { max-scheduled-kicks = 0 }            | mailproxy.admin.max-scheduled-kicks",
        "admin { max-users-listed = many }            | mailproxy.admin.max-users-listed",
        "trace { clients = [\"10.0.0.0/33\"] }         | mailproxy.trace.clients",
        "trace { max-lines = 0 }                      | mailproxy.trace.max-lines",
        "trace { user = [a] }                         | mailproxy.trace.user",
        "trace { pending-bytes = 10 }                 | mailproxy.trace.pending-bytes",
        "trace { pending-total = lots }               | mailproxy.trace.pending-total",
    })
    void badValuesNameTheirKey(String body, String key) {
        String m = assertThrows(ConfigException.class, () -> read(body)).getMessage();
        assertTrue(m.contains(key + ":"), m);
    }

    @Test
    void aListenersTraceRelayBytesIsBounded() {
        String m = assertThrows(ConfigException.class, () -> read(LISTENER
                + "listeners = [ { protocol = imap, listen = \"127.0.0.1:1143\", trace-relay-bytes = 2m } ]")).getMessage();
        assertTrue(m.contains("trace-relay-bytes"), m);
    }
}
