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
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mailproxy.route.AuthServer;
import mailproxy.testing.Await;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.FreePorts;
import mailproxy.testing.RawClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * No password reaches the log, at any level: the proxy runs as its own process with debug
 * logging, every password mechanism of every protocol logs in (wrong, then right) through a
 * static router and through auth_http (which hands a different backend password back), and
 * the whole log is searched for each password, its base64, and the base64 of the whole
 * PLAIN message.
 */
@Timeout(120)
class PasswordsNeverLoggedTest {
    /** protocol → mechanisms of the client side; each gets its own user and passwords. */
    private static final Map<String, List<String>> MECHANISMS = Map.of(
            "imap", List.of("login-atom", "login-quoted", "login-literal", "plain-ir", "plain", "login"),
            "pop3", List.of("user-pass", "plain-ir", "plain", "login"),
            "smtp", List.of("plain-ir", "plain", "login", "login-ir"));
    /** What auth_http hands the proxy for the backend instead of the client's password. */
    private static final String BACKEND_PASSWORD = "Backend-Only-Pw-9c1eQ";

    private record Case(String protocol, String mechanism, String user, String password, String wrong) {}

    @Test
    void noPasswordInAnyLogLine(@TempDir Path dir) throws Exception {
        List<Case> cases = new ArrayList<>();
        Map<String, String> users = new LinkedHashMap<>();
        for (String protocol : List.of("imap", "pop3", "smtp")) {
            for (String m : MECHANISMS.get(protocol)) {
                int n = cases.size();
                Case c = new Case(protocol, m, "user" + n, "Pw" + n + "-" + protocol + "-" + m + "-Zq8x", "Wrong" + n + "-guess-Kp3v");
                cases.add(c);
                users.put(c.user(), c.password());
            }
        }
        users.put("httpuser", BACKEND_PASSWORD);
        try (FakeBackends.Trio mail = FakeBackends.trio(users);
             AuthServer auth = AuthServer.start(r -> authAnswer(r, cases, mail))) {
            int[] ports = FreePorts.allocate(6);
            Path log = dir.resolve("proxy.log");
            Process proxy = startProxy(dir, log, config(mail, auth, ports));
            try {
                Map<String, InetSocketAddress> stat = Map.of("imap", local(ports[0]), "pop3", local(ports[1]), "smtp", local(ports[2]));
                Map<String, InetSocketAddress> http = Map.of("imap", local(ports[3]), "pop3", local(ports[4]), "smtp", local(ports[5]));
                for (InetSocketAddress a : List.of(local(ports[0]), local(ports[3]))) awaitListening(a, proxy);
                for (Case c : cases) {
                    // static: the backend refuses, the client retries on the same connection
                    try (RawClient client = open(c.protocol(), stat.get(c.protocol()))) {
                        assertTrue(refused(c.protocol(), login(client, c, c.user(), c.wrong())), c + " wrong");
                        assertTrue(success(c.protocol(), login(client, c, c.user(), c.password())), c + " right");
                        logout(client, c.protocol());
                    }
                    // auth_http: refused by the auth server (and closed), then let in with a backend password
                    try (RawClient client = open(c.protocol(), http.get(c.protocol()))) {
                        assertTrue(refused(c.protocol(), login(client, c, "httpuser", c.wrong())), c + " wrong via auth_http");
                    }
                    try (RawClient client = open(c.protocol(), http.get(c.protocol()))) {
                        assertTrue(success(c.protocol(), login(client, c, "httpuser", c.password())), c + " right via auth_http");
                        logout(client, c.protocol());
                    }
                }
            } finally {
                proxy.destroy(); // SIGTERM: drains and logs its stop
                if (!proxy.waitFor(20, TimeUnit.SECONDS)) proxy.destroyForcibly();
            }
            String text = Files.readString(log, StandardCharsets.ISO_8859_1);
            assertTrue(text.contains("DEBUG ImapSession - client ID"), "the proxy logged at debug level:\n" + text);
            assertTrue(Probes.count(text, "user=httpuser") >= cases.size(), "the logins happened:\n" + text);
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

    /** A password as it may travel: itself, its base64 (LOGIN), the whole PLAIN message in base64. */
    private static List<String> forms(String user, String password) {
        Base64.Encoder b64 = Base64.getEncoder();
        return List.of(password, b64.encodeToString(password.getBytes(StandardCharsets.UTF_8)),
                b64.encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8)));
    }

    /** The auth server: a case's right password is let in, with the backend's own password. */
    private static AuthServer.Answer authAnswer(AuthServer.Request r, List<Case> cases, FakeBackends.Trio mail) {
        String pass = new String(r.unescaped("Auth-Pass"), StandardCharsets.UTF_8);
        String protocol = r.header("Auth-Protocol");
        boolean right = cases.stream().anyMatch(c -> c.password().equals(pass));
        if (!right) return AuthServer.error("Invalid login or password");
        int port = switch (protocol) {
            case "imap" -> mail.imap().port();
            case "pop3" -> mail.pop3().port();
            default -> mail.smtp().port();
        };
        return AuthServer.ok("127.0.0.1", port).with("Auth-Pass", BACKEND_PASSWORD);
    }

    private static String config(FakeBackends.Trio mail, AuthServer auth, int[] ports) {
        StringBuilder listeners = new StringBuilder();
        String[] protocols = {"imap", "pop3", "smtp"};
        for (int i = 0; i < 6; i++) {
            listeners.append(i == 0 ? "" : ",\n").append("{ name = l").append(i).append(", protocol = ").append(protocols[i % 3])
                    .append(", listen = \"127.0.0.1:").append(ports[i]).append("\", router = ").append(i < 3 ? "s" : "h").append(" }");
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

    private static RawClient open(String protocol, InetSocketAddress a) throws IOException {
        RawClient c = RawClient.connect(a);
        c.readLine(); // greeting
        if (protocol.equals("imap")) { // logged at debug level
            c.line("i ID (\"name\" \"password-test\")");
            c.expect("* ID");
            c.expect("i OK");
        }
        if (protocol.equals("smtp")) {
            c.line("EHLO client.example");
            while (!c.expect("250").startsWith("250 ")) {
                // EHLO lines
            }
        }
        return c;
    }

    /** One login by the case's mechanism; the final reply line. */
    private static String login(RawClient c, Case k, String user, String password) throws IOException {
        String u64 = b64(user);
        String p64 = b64(password);
        String plain = b64("\0" + user + "\0" + password);
        switch (k.protocol()) {
            case "imap" -> {
                switch (k.mechanism()) {
                    case "login-atom" -> c.line("t LOGIN " + user + " " + password);
                    case "login-quoted" -> c.line("t LOGIN \"" + user + "\" \"" + password + "\"");
                    case "login-literal" -> {
                        c.line("t LOGIN {" + user.length() + "}");
                        c.expect("+");
                        c.line(user + " {" + password.length() + "}");
                        c.expect("+");
                        c.line(password);
                    }
                    case "plain-ir" -> c.line("t AUTHENTICATE PLAIN " + plain);
                    case "plain" -> {
                        c.line("t AUTHENTICATE PLAIN");
                        c.expect("+");
                        c.line(plain);
                    }
                    default -> {
                        c.line("t AUTHENTICATE LOGIN");
                        c.expect("+");
                        c.line(u64);
                        c.expect("+");
                        c.line(p64);
                    }
                }
                String line;
                do {
                    line = c.readLine();
                } while (line != null && !line.startsWith("t "));
                return line;
            }
            case "pop3" -> {
                switch (k.mechanism()) {
                    case "user-pass" -> {
                        c.line("USER " + user);
                        c.expect("+OK");
                        c.line("PASS " + password);
                    }
                    case "plain-ir" -> c.line("AUTH PLAIN " + plain);
                    case "plain" -> {
                        c.line("AUTH PLAIN");
                        c.expect("+");
                        c.line(plain);
                    }
                    default -> {
                        c.line("AUTH LOGIN");
                        c.expect("+");
                        c.line(u64);
                        c.expect("+");
                        c.line(p64);
                    }
                }
                return c.readLine();
            }
            default -> {
                switch (k.mechanism()) {
                    case "plain-ir" -> c.line("AUTH PLAIN " + plain);
                    case "plain" -> {
                        c.line("AUTH PLAIN");
                        c.expect("334");
                        c.line(plain);
                    }
                    case "login-ir" -> {
                        c.line("AUTH LOGIN " + u64);
                        c.expect("334");
                        c.line(p64);
                    }
                    default -> {
                        c.line("AUTH LOGIN");
                        c.expect("334");
                        c.line(u64);
                        c.expect("334");
                        c.line(p64);
                    }
                }
                return c.readLine();
            }
        }
    }

    private static boolean success(String protocol, String reply) {
        return reply != null && switch (protocol) {
            case "imap" -> reply.startsWith("t OK");
            case "pop3" -> reply.startsWith("+OK");
            default -> reply.startsWith("235 ");
        };
    }

    private static boolean refused(String protocol, String reply) {
        return reply != null && switch (protocol) {
            case "imap" -> reply.startsWith("t NO");
            case "pop3" -> reply.startsWith("-ERR");
            default -> reply.startsWith("535 ");
        };
    }

    private static void logout(RawClient c, String protocol) throws IOException {
        c.line(protocol.equals("imap") ? "z LOGOUT" : "QUIT");
        c.readToEnd();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
