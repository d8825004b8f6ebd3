package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import mailproxy.testing.Await;
import mailproxy.testing.Sasl;
import org.junit.jupiter.api.function.Executable;

/**
 * An nginx-style auth_http server for tests (JDK httpserver on a loopback port 0): records
 * every request and answers each with what the script returns. Header values are the
 * request's bytes as ISO-8859-1 chars.
 */
public final class AuthServer implements AutoCloseable {

    /** One request as received; header names lower-cased. */
    public record Request(String method, String uri, Map<String, String> headers, InetSocketAddress remote) {
        public String header(String name) { return headers.get(name.toLowerCase(Locale.ROOT)); }

        /** A percent-escaped header back to the client's bytes, as an auth server would decode it. */
        public byte[] unescaped(String name) { return unescape(header(name)); }

        /**
         * Asserts headers, all of them, one a line: {@code Name: value} (the value as sent,
         * maybe empty), or {@code no Name} for a header that must be absent.
         */
        public void assertHeaders(String expected) {
            List<Executable> checks = new ArrayList<>();
            for (String line : expected.strip().split("\n")) {
                if (line.startsWith("no ")) {
                    String name = line.substring(3);
                    checks.add(() -> assertNull(header(name), name));
                } else {
                    int colon = line.indexOf(':');
                    String name = line.substring(0, colon);
                    String value = line.substring(colon + 1).stripLeading();
                    checks.add(() -> assertEquals(value, header(name), name));
                }
            }
            assertAll("auth_http request headers", checks);
        }
    }

    /** An answer: headers in order, an HTTP status (ignored by the proxy) and a body (ignored too). */
    public record Answer(int status, List<Map.Entry<String, String>> headers, String body, long delayMillis) {
        public Answer with(String name, String value) {
            List<Map.Entry<String, String>> h = new ArrayList<>(headers);
            h.add(Map.entry(name, value));
            return new Answer(status, h, body, delayMillis);
        }

        public Answer status(int code) { return new Answer(code, headers, body, delayMillis); }

        public Answer body(String text) { return new Answer(status, headers, text, delayMillis); }

        /** Answers only after this long (a slow auth server). */
        public Answer delay(long millis) { return new Answer(status, headers, body, millis); }
    }

    public static Answer answer() { return new Answer(200, List.of(), "", 0); }

    /** Auth-Status: OK with Auth-Server and Auth-Port. */
    public static Answer ok(String host, int port) {
        return answer().with("Auth-Status", "OK").with("Auth-Server", host).with("Auth-Port", Integer.toString(port));
    }

    /** Any other Auth-Status: the error text for the client. */
    public static Answer error(String message) { return answer().with("Auth-Status", message); }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile Function<Request, Answer> script;

    private AuthServer(Function<Request, Answer> script) throws IOException {
        this.script = script;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public static AuthServer start(Function<Request, Answer> script) throws IOException {
        return new AuthServer(script);
    }

    public void script(Function<Request, Answer> s) { this.script = s; }

    public URI url() { return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/auth"); }

    public int port() { return server.getAddress().getPort(); }

    public List<Request> requests() { return List.copyOf(requests); }

    public Request last() { return requests.get(requests.size() - 1); }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            Map<String, String> headers = new LinkedHashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v.get(0)));
            Request r = new Request(ex.getRequestMethod(), ex.getRequestURI().toString(), headers, ex.getRemoteAddress());
            requests.add(r);
            Answer a = script.apply(r);
            if (a.delayMillis() > 0) {
                try {
                    Await.pause(Duration.ofMillis(a.delayMillis())); // a slow auth server, on purpose
                } catch (InterruptedException e) {
                    return;
                }
            }
            for (Map.Entry<String, String> h : a.headers()) ex.getResponseHeaders().add(h.getKey(), h.getValue());
            byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(a.status(), body.length == 0 ? -1 : body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    /** %XX to bytes (what an nginx auth server does with Auth-User and Auth-Pass). */
    public static byte[] unescape(String s) {
        byte[] out = new byte[s.length()];
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length()) {
                out[n++] = (byte) Integer.parseInt(s.substring(i + 1, i + 3), 16);
                i += 2;
            } else {
                out[n++] = (byte) c;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /**
     * A script for a directory that knows one secret: a login whose APOP or CRAM-MD5 digest
     * (by Auth-Method, over Auth-Salt) is that of {@code secret} gets {@code ok} with
     * Auth-Pass = the secret, so that the backend sees a password; any other gets "bad digest".
     */
    public static Function<Request, Answer> knowingSecret(String secret, Answer ok) {
        return r -> {
            try {
                String salt = r.header("Auth-Salt");
                String digest = r.header("Auth-Method").equals("apop")
                        ? Sasl.apopDigest(salt, secret) : Sasl.cramDigest(salt, secret);
                return digest.equals(r.header("Auth-Pass")) ? ok.with("Auth-Pass", secret) : error("bad digest");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        };
    }
}
