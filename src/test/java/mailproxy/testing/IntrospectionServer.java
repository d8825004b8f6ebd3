package mailproxy.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An OAuth 2.0 token introspection endpoint (RFC 7662) on loopback, for Dovecot's oauth2
 * passdb with {@code introspection_mode = post}: POST /introspect with the form field
 * {@code token}; answers {@code {"active":true,"username":USER}} for a token it issued,
 * {@code {"active":false}} for any other.
 */
public final class IntrospectionServer implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";

    private final HttpServer server;
    private final Map<String, String> users = new ConcurrentHashMap<>();
    /** The tokens asked about, in order. */
    private final List<String> asked = new CopyOnWriteArrayList<>();

    public IntrospectionServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/introspect", exchange -> {
            String body = new String(exchange.getRequestBody().readNBytes(1 << 20), StandardCharsets.UTF_8);
            String token = null;
            for (String pair : body.split("&")) {
                if (pair.startsWith("token=")) token = URLDecoder.decode(pair.substring(6), StandardCharsets.UTF_8);
            }
            if (token != null) asked.add(token);
            String user = token == null ? null : users.get(token);
            String json = user == null ? "{\"active\":false}" : "{\"active\":true,\"username\":\"" + user + "\"}";
            byte[] out = json.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, out.length);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(out);
            }
        });
        server.start();
    }

    /** A new token of {@code length} b64token characters (RFC 6750 §2.1) for {@code user}. */
    public String issue(String user, int length) {
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) b.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        String token = b.toString();
        users.put(token, user);
        return token;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/introspect";
    }

    public List<String> asked() { return List.copyOf(asked); }

    /** dovecot-oauth2.conf.ext for this endpoint (Dovecot 2.3 oauth2 passdb). */
    public String dovecotConfig() {
        return """
                introspection_mode = post
                introspection_url = %s
                username_attribute = username
                active_attribute = active
                active_value = true
                force_introspection = yes
                """.formatted(url());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
