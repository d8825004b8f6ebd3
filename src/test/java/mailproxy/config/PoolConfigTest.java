package mailproxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Backends with servers: the pool keys, their defaults and their errors. */
class PoolConfigTest {
    private static Backend backend(String body) {
        return ConfigLoader.parse("mailproxy { backends { stores {\n" + body + "\n} } }", "pools.conf").backends().get("stores");
    }

    private static String error(String body) {
        return assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("mailproxy { backends { stores {\n" + body + "\n} } }", "pools.conf")).getMessage();
    }

    @Test
    void theExampleFromTheReadme() {
        Backend b = backend("""
                servers = [ { host = "10.0.0.1", weight = 2 },
                            { host = "10.0.0.2", imap-port = 1143, pop3-port = 1110 } ]
                imap { port = 143, login = login, send-id = true, balance = user-hash }
                pop3 { port = 110, proxy-protocol = v1 }
                smtp { port = 25, balance = least-connections, proxy-protocol = v2 }
                max-fails = 2, fail-window = 20s, fail-timeout = 30s
                health { interval = 5s, rise = 3, fall = 4, timeout = 2s, tls = false }
                max-tries = 2
                """);
        assertEquals("", b.host());
        assertEquals(2, b.servers().size());
        Backend.Server s1 = b.servers().get(0);
        Backend.Server s2 = b.servers().get(1);
        assertEquals("10.0.0.1", s1.host());
        assertEquals(2, s1.weight());
        assertEquals(1, s2.weight());
        assertEquals(143, b.port(s1, Protocol.IMAP));
        assertEquals(1143, b.port(s2, Protocol.IMAP));
        assertEquals(1110, b.port(s2, Protocol.POP3));
        assertEquals(25, b.port(s2, Protocol.SMTP), "the section's port where the server names none");
        assertEquals(Backend.Balance.USER_HASH, b.balance(Protocol.IMAP));
        assertEquals(Backend.Balance.USER_HASH, b.balance(Protocol.POP3), "default");
        assertEquals(Backend.Balance.LEAST_CONNECTIONS, b.balance(Protocol.SMTP));
        assertEquals(Backend.ProxyProtocol.OFF, b.proxyProtocol(Protocol.IMAP));
        assertEquals(Backend.ProxyProtocol.V1, b.proxyProtocol(Protocol.POP3));
        assertEquals(Backend.ProxyProtocol.V2, b.proxyProtocol(Protocol.SMTP));
        assertEquals(new Backend.Pooling(2, Duration.ofSeconds(20), Duration.ofSeconds(30), 2,
                new Backend.Health(Duration.ofSeconds(5), 3, 4, Duration.ofSeconds(2), false), Backend.Affinity.DEFAULT), b.pooling());
    }

    @Test
    void defaultsWithServers() {
        Backend b = backend("servers = [ { host = a }, { host = b } ]\nimap { }\nsmtp { }");
        Backend.Pooling p = b.pooling();
        assertEquals(1, p.maxFails());
        assertEquals(Duration.ofSeconds(10), p.failWindow());
        assertEquals(Duration.ofSeconds(10), p.failTimeout());
        assertEquals(3, p.maxTries());
        assertEquals(new Backend.Health(Duration.ofSeconds(10), 2, 3, Duration.ofSeconds(3), true), p.health());
        assertTrue(p.health().on(), "checks on for a backend with servers");
        assertEquals(Backend.Balance.USER_HASH, b.balance(Protocol.IMAP));
        assertEquals(Backend.Balance.LEAST_CONNECTIONS, b.balance(Protocol.SMTP));
        assertEquals(List.of(1, 1), b.servers().stream().map(Backend.Server::weight).toList());
    }

    @Test
    void oneHostSyntaxIsUnchangedAndAPoolOfOneWithoutChecks() {
        Backend b = backend("host = \"10.0.0.9\"\nimap { port = 1143 }\npop3 { }");
        assertEquals("10.0.0.9", b.host());
        assertEquals(1, b.servers().size());
        assertEquals("10.0.0.9", b.servers().get(0).host());
        assertEquals(1143, b.port(b.servers().get(0), Protocol.IMAP));
        assertFalse(b.pooling().health().on(), "no active checks for one host unless asked");
        assertEquals(Backend.Pooling.ONE_HOST, b.pooling());
        Backend checked = backend("host = h\nimap { }\nhealth { interval = 30s }");
        assertEquals(Duration.ofSeconds(30), checked.pooling().health().interval());
        assertFalse(backend("servers = [ { host = a } ]\nimap { }\nhealth { interval = 0s }").pooling().health().on(),
                "interval 0s turns checks off");
    }

    @Test
    void greetingTimeoutDefaultsToFiveSeconds() {
        ProxyConfig c = ConfigLoader.parse("mailproxy { }", "t.conf");
        assertEquals(Duration.ofSeconds(5), c.limits().greetingTimeout());
        assertEquals(Duration.ofMillis(1500),
                ConfigLoader.parse("mailproxy { limits { greeting-timeout = 1500ms } }", "t.conf").limits().greetingTimeout());
    }

    @Test
    void eachServerHasItsOwnTlsClientForItsName() {
        Backend b = backend("servers = [ { host = \"a.example\" }, { host = \"b.example\" } ]\nimap { tls = implicit }");
        assertTrue(b.servers().get(0).tlsClient().toString().contains("a.example"), b.servers().get(0).tlsClient().toString());
        assertTrue(b.servers().get(1).tlsClient().toString().contains("b.example"));
        assertTrue(b.tlsClient().toString().contains("serverName=null"), "the backend-wide one names no host");
        assertSame(b.servers().get(1).tlsClient(), b.forServer(b.servers().get(1)).tlsClient());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            host and servers    | host = a, servers = [ { host = b } ], imap { }                     | mailproxy.backends.stores.servers  | host and servers exclude each other
            neither             | imap { }                                                            | mailproxy.backends.stores.host     | host = "..." or servers
            empty list          | servers = [], imap { }                                              | mailproxy.backends.stores.servers  | at least one
            weight 0            | servers = [ { host = a, weight = 0 } ], imap { }                    | stores.servers[0].weight           | from 1 to 1000
            weight 1001         | servers = [ { host = a }, { host = b, weight = 1001 } ], imap { }   | stores.servers[1].weight           | from 1 to 1000
            bad balance         | servers = [ { host = a } ], imap { balance = random }               | stores.imap.balance                | user-hash, least-connections, round-robin
            bad proxy-protocol  | host = a, pop3 { proxy-protocol = v3 }                              | stores.pop3.proxy-protocol         | off, v1, v2
            unknown server key  | servers = [ { host = a, wieght = 2 } ], imap { }                    | stores.servers[0].wieght           | unknown key
            port for no section | servers = [ { host = a, smtp-port = 2525 } ], imap { }              | stores.servers[0].smtp-port        | no smtp { } section
            duplicate server    | servers = [ { host = a }, { host = A } ], imap { }                  | mailproxy.backends.stores.servers  | both a:143 for imap
            pop3 on one only    | servers = [ { host = a }, { host = a, pop3-port = 1110 } ], imap { port = 1143 }, pop3 { port = 1110 } | mailproxy.backends.stores.servers | list the other's protocols without it (protocols = [...])
            unknown protocol    | servers = [ { host = a, protocols = [imap, imap4] } ], imap { }     | stores.servers[0].protocols        | expected one of imap, got 'imap4'
            protocol no section | servers = [ { host = a, protocols = [pop3] } ], imap { }            | stores.servers[0].protocols        | no pop3 { } section
            no protocols        | servers = [ { host = a, protocols = [] } ], imap { }                | stores.servers[0].protocols        | at least one of imap
            port left out       | servers = [ { host = a, protocols = [imap], pop3-port = 1 } ], imap { }, pop3 { } | stores.servers[0].pop3-port | protocols leave out pop3
            nobody serves pop3  | servers = [ { host = a, protocols = [imap] } ], imap { }, pop3 { }  | mailproxy.backends.stores.servers  | no server serves pop3
            weight on one host  | host = a, weight = 2, imap { }                                      | mailproxy.backends.stores.weight   | unknown key
            bad rise            | servers = [ { host = a } ], imap { }, health { rise = 0 }           | stores.health.rise                 | from 1 to 100
            tiny interval       | servers = [ { host = a } ], imap { }, health { interval = 1ms }     | stores.health.interval             | at least 10ms
            unknown health key  | servers = [ { host = a } ], imap { }, health { intervall = 1s }     | stores.health.intervall            | unknown key
            max-tries 0         | servers = [ { host = a } ], imap { }, max-tries = 0                 | stores.max-tries                   | from 1 to 100
            """)
    void errorsNameTheKey(String what, String body, String key, String says) {
        String m = error(body);
        assertTrue(m.contains(key), m);
        assertTrue(m.contains(says), m);
        assertTrue(m.contains("pools.conf"), m);
    }

    @Test
    void aServerServesTheProtocolsItListsAndByDefaultAllOfTheBackends() {
        Backend b = backend("servers = [ { host = a, protocols = [imap] }, { host = b, pop3-port = 1110 } ]\nimap { }\npop3 { }");
        Backend.Server a = b.servers().get(0);
        Backend.Server other = b.servers().get(1);
        assertEquals(143, b.port(a, Protocol.IMAP));
        assertEquals(-1, b.port(a, Protocol.POP3), "a leaves POP3 out");
        assertEquals(143, b.port(other, Protocol.IMAP));
        assertEquals(1110, b.port(other, Protocol.POP3));
        assertEquals(-1, b.port(other, Protocol.SMTP), "no smtp { } section");
    }

    @Test
    void errorInsideAServerNamesTheLine() {
        String m = error("servers = [\n { host = a },\n { host = b, weight = 5000 } ]\nimap { }");
        assertTrue(m.contains("pools.conf:4"), m);
    }

    @Test
    void affinityKeysAndTheirErrors() {
        Backend b = backend("servers = [ { host = \"10.0.0.1\" } ]\nimap { port = 143 }\naffinity-ttl = 2m, affinity-max-users = 500");
        assertEquals(new Backend.Affinity(Duration.ofMinutes(2), 500), b.pooling().affinity());
        String e = error("servers = [ { host = \"10.0.0.1\" } ]\nimap { port = 143 }\naffinity-max-users = 0");
        assertTrue(e.contains("affinity-max-users") && e.contains("pools.conf"), e);
        e = error("servers = [ { host = \"10.0.0.1\" } ]\nimap { port = 143 }\naffinity-ttl = forever");
        assertTrue(e.contains("affinity-ttl") && e.contains("pools.conf"), e);
        assertEquals(Backend.Affinity.Rebalance.IDLE, b.pooling().affinity().rebalance());
        Backend k = backend("servers = [ { host = \"10.0.0.1\" } ]\nimap { port = 143 }\naffinity-rebalance = kick");
        assertEquals(Backend.Affinity.Rebalance.KICK, k.pooling().affinity().rebalance());
        e = error("servers = [ { host = \"10.0.0.1\" } ]\nimap { port = 143 }\naffinity-rebalance = now");
        assertTrue(e.contains("affinity-rebalance") && e.contains("idle, kick") && e.contains("pools.conf"), e);
    }
}
