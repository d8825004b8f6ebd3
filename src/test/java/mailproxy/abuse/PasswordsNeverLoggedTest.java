package mailproxy.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mailproxy.route.AuthServer;
import mailproxy.testing.Await;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.FreePorts;
import mailproxy.testing.RawClient;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * No password reaches the log, at any level: the proxy runs as its own process with debug
 * logging, every password and token mechanism of every protocol that has a login (IMAP,
 * POP3, SMTP, ManageSieve; {@link Logins}) logs in (wrong, then right) through a static
 * router and through auth_http (which hands a different backend password back), and the
 * whole log is searched for each password, its base64, and the base64 of the whole PLAIN,
 * OAUTHBEARER and XOAUTH2 messages. Once more with the protocol trace on every listener ({@code trace = true},
 * {@code trace-relay-bytes}), so that the audit lines, the debug lines and the trace of
 * both legs are searched together, and each session logs in a second time inside the
 * relay, where only the trace's redactor stands between the password and the log
 * (docs/SECURITY.md, "Credentials never reach a log").
 */
@Timeout(120)
class PasswordsNeverLoggedTest {
    private static final List<String> PROTOCOLS = List.of("imap", "pop3", "smtp", "sieve");
    /** What auth_http hands the proxy for the backend instead of the client's password. */
    private static final String BACKEND_PASSWORD = "Backend-Only-Pw-9c1eQ";

    private record Case(String protocol, String mechanism, String user, String password, String wrong) {}

    @ParameterizedTest(name = "trace = {0}")
    @ValueSource(booleans = {false, true})
    void noPasswordInAnyLogLine(boolean traced, @TempDir Path dir) throws Exception {
        List<Case> cases = new ArrayList<>();
        Map<String, String> users = new LinkedHashMap<>();
        for (String protocol : PROTOCOLS) {
            for (String m : Logins.MECHANISMS.get(protocol)) {
                int n = cases.size();
                Case c = new Case(protocol, m, "user" + n, "Pw" + n + "-" + protocol + "-" + m + "-Zq8x", "Wrong" + n + "-guess-Kp3v");
                cases.add(c);
                users.put(c.user(), c.password());
            }
        }
        users.put("httpuser", BACKEND_PASSWORD);
        try (FakeBackends.Trio mail = FakeBackends.trio(users);
             AuthServer auth = AuthServer.start(r -> authAnswer(r, cases, mail))) {
            int n = PROTOCOLS.size();
            int[] ports = FreePorts.allocate(2 * n);
            Path log = dir.resolve("proxy.log");
            Process proxy = startProxy(dir, log, config(mail, auth, ports, traced));
            try {
                // the static router's listeners first, then auth_http's, each in PROTOCOLS order
                Map<String, InetSocketAddress> stat = new LinkedHashMap<>();
                Map<String, InetSocketAddress> http = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    stat.put(PROTOCOLS.get(i), local(ports[i]));
                    http.put(PROTOCOLS.get(i), local(ports[n + i]));
                }
                for (InetSocketAddress a : List.of(stat.get("imap"), http.get("imap"))) awaitListening(a, proxy);
                for (Case c : cases) {
                    // static: the backend refuses, the client retries on the same connection
                    try (RawClient client = Logins.open(c.protocol(), stat.get(c.protocol()))) {
                        assertTrue(Logins.refused(c.protocol(), login(client, c, c.user(), c.wrong())), c + " wrong");
                        assertTrue(Logins.success(c.protocol(), login(client, c, c.user(), c.password())), c + " right");
                        if (traced) Logins.loginInTheRelay(client, c.protocol(), c.user(), c.password());
                        Logins.logout(client, c.protocol());
                    }
                    // auth_http: refused by the auth server (and closed), then let in with a backend password
                    try (RawClient client = Logins.open(c.protocol(), http.get(c.protocol()))) {
                        assertTrue(Logins.refused(c.protocol(), login(client, c, "httpuser", c.wrong())), c + " wrong via auth_http");
                    }
                    try (RawClient client = Logins.open(c.protocol(), http.get(c.protocol()))) {
                        assertTrue(Logins.success(c.protocol(), login(client, c, "httpuser", c.password())), c + " right via auth_http");
                        if (traced) Logins.loginInTheRelay(client, c.protocol(), "httpuser", c.password());
                        Logins.logout(client, c.protocol());
                    }
                }
            } finally {
                proxy.destroy(); // SIGTERM: drains and logs its stop
                if (!proxy.waitFor(20, TimeUnit.SECONDS)) proxy.destroyForcibly();
            }
            String text = Files.readString(log, StandardCharsets.ISO_8859_1);
            assertTrue(text.contains("DEBUG ImapSession - client ID"), "the proxy logged at debug level:\n" + text);
            assertTrue(Probes.count(text, "user=httpuser") >= cases.size(), "the logins happened:\n" + text);
            assertTrue(text.contains(" audit - "), "the audit lines are in the log:\n" + text);
            if (traced) {
                assertTrue(Probes.count(text, " trace - ") > 20 * cases.size(), "the sessions were traced:\n" + text);
                assertTrue(text.contains("relay -- relaying; showing the first"), "the trace went on into the relay:\n" + text);
            }
            List<String> found = new ArrayList<>();
            for (Case c : cases) {
                for (String secret : List.of(c.password(), c.wrong())) {
                    for (String user : List.of(c.user(), "httpuser")) {
                        for (String form : forms(user, secret)) if (text.contains(form)) found.add(c + ": " + form);
                    }
                }
            }
            for (String form : forms("httpuser", BACKEND_PASSWORD)) if (text.contains(form)) found.add("backend password: " + form);
            assertEquals(List.of(), found, "secrets in the log " + log);
        }
    }

    /** One login of the case's protocol and mechanism, as {@code user} with {@code secret}; the final reply line. */
    private static String login(RawClient client, Case c, String user, String secret) throws IOException {
        return Logins.login(client, c.protocol(), c.mechanism(), user, secret);
    }

    /**
     * A password as it may travel: itself, its base64 (LOGIN), the whole PLAIN message in
     * base64, and as a token the whole OAUTHBEARER and XOAUTH2 messages in base64.
     */
    private static List<String> forms(String user, String password) {
        return List.of(password, Logins.b64(password), Logins.b64("\0" + user + "\0" + password),
                Logins.b64(Logins.oauthbearer(user, password)), Logins.b64(Logins.xoauth2(user, password)));
    }

    /** The auth server: a case's right password is let in, with the backend's own password. */
    private static AuthServer.Answer authAnswer(AuthServer.Request r, List<Case> cases, FakeBackends.Trio mail) {
        String pass = new String(r.unescaped("Auth-Pass"), StandardCharsets.UTF_8);
        String protocol = r.header("Auth-Protocol");
        boolean right = cases.stream().anyMatch(c -> c.password().equals(pass));
        if (!right) return AuthServer.error("Invalid login or password");
        return AuthServer.ok("127.0.0.1", mail.of(protocol).port()).with("Auth-Pass", BACKEND_PASSWORD);
    }

    private static String config(FakeBackends.Trio mail, AuthServer auth, int[] ports, boolean traced) {
        StringBuilder listeners = new StringBuilder();
        int n = PROTOCOLS.size();
        for (int i = 0; i < 2 * n; i++) {
            listeners.append(i == 0 ? "" : ",\n").append("{ name = l").append(i).append(", protocol = ").append(PROTOCOLS.get(i % n))
                    .append(", listen = \"127.0.0.1:").append(ports[i]).append("\", router = ").append(i < n ? "s" : "h")
                    .append(traced ? ", trace = true, trace-relay-bytes = 2k" : "").append(" }");
        }
        return """
                mailproxy {
                  drain-timeout = 1s
                  %s
                  routers {
                    s { type = static, default = b }
                    h { type = auth-http, url = "%s", backend-options = b }
                  }
                  guard { auth-delay = 10ms, auth-max-delay = 20ms, block-after = 0, max-connections-per-ip = 0 }
                  listener-defaults { auth = [plain, login, oauthbearer, xoauth2] }
                  listeners = [ %s ]
                }
                """.formatted(mail.backendConfig(), auth.url(), listeners);
    }

    private static Process startProxy(Path dir, Path log, String config) throws IOException {
        Path conf = dir.resolve("proxy.conf");
        Files.writeString(conf, config);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Dorg.slf4j.simpleLogger.defaultLogLevel=debug",
                "-cp", System.getProperty("java.class.path"), "mailproxy.Main", "--config", conf.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static InetSocketAddress local(int port) {
        return new InetSocketAddress("127.0.0.1", port);
    }

    private static void awaitListening(InetSocketAddress a, Process proxy) throws Exception {
        Await.retrying(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
            if (!proxy.isAlive()) throw new IllegalStateException("the proxy exited with " + proxy.exitValue());
            try (RawClient c = RawClient.connect(a)) {
                return c.expect("* OK");
            }
        });
    }

}
