package mailproxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** mailproxy.guard and mailproxy.state: values read, bad ones named with their key. */
class GuardConfigTest {
    private static GuardConfig read(String body) {
        return ConfigLoader.parse("mailproxy {\n" + body + "\n}\n", "my.conf").guard();
    }

    private static String error(String body) {
        return assertThrows(ConfigException.class, () -> read(body)).getMessage();
    }

    @Test
    void valuesAreRead() throws Exception {
        GuardConfig g = read("""
                guard { max-connections-per-ip = 0, auth-delay = 1s, auth-max-delay = 8s,
                        trusted-networks = ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"] }
                state { redis = "redis://:pw@127.0.0.1:6380/2", on-redis-down = refuse, timeout = 250ms }""");
        assertEquals(0, g.maxConnectionsPerIp());
        assertEquals(Duration.ofSeconds(8), g.authMaxDelay());
        assertEquals(new GuardConfig.Network(InetAddress.getByName("10.0.0.0"), 8), g.trustedNetworks().get(0));
        assertEquals(32, g.trustedNetworks().get(1).prefixLength());
        assertEquals(32, g.trustedNetworks().get(2).prefixLength(), "an address alone is all its bits");
        assertEquals(GuardConfig.OnRedisDown.REFUSE, g.state().onRedisDown());
        assertEquals(Duration.ofMillis(250), g.state().timeout());
    }

    @Test
    void configWithoutAGuardSectionGetsTheDefaults() {
        ProxyConfig c = ConfigLoader.parse("mailproxy { }", "my.conf");
        assertEquals(ConfigLoader.defaultGuard(), c.guard());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "guard { trusted-networks = [\"10.0.0.0/33\"] }          | mailproxy.guard.trusted-networks",
        "guard { trusted-networks = [\"mail.example.org/24\"] }  | mailproxy.guard.trusted-networks",
        "guard { trusted-networks = [\"2001:db8::/129\"] }       | mailproxy.guard.trusted-networks",
        "guard { ipv6-prefix = 0 }                               | mailproxy.guard.ipv6-prefix",
        "guard { auth-delay = 10s, auth-max-delay = 5s }         | mailproxy.guard.auth-max-delay",
        "guard { max-sessions-per-user = -1 }                    | mailproxy.guard.max-sessions-per-user",
        "guard { block-afte = 3 }                                | mailproxy.guard.block-afte",
        "state { redis = \"http://127.0.0.1:6379\" }             | mailproxy.state.redis",
        "state { redis = \"redis://127.0.0.1:6379/x\" }          | mailproxy.state.redis",
        "state { on-redis-down = ignore }                        | mailproxy.state.on-redis-down",
        "state { local-max-keys = 10 }                           | mailproxy.state.local-max-keys",
    })
    void badValuesNameTheirKey(String body, String key) {
        String m = error(body);
        assertTrue(m.contains(key + ":"), m);
        assertTrue(m.contains("my.conf:"), m);
    }
}
