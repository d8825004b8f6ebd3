package mailproxy.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import mailproxy.config.AdminConfig;
import mailproxy.server.ProxyServer;
import mailproxy.wire.Addresses;
import mailproxy.wire.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener (mailproxy.admin): metrics, health, the session list and a few
 * actions over HTTP/1.1, on the JDK's com.sun.net.httpserver with one virtual thread per
 * exchange. It starts before the proxy's listeners (so /health/ready can say they are
 * not up yet) and stops after them (so it says "draining" while the proxy stops).
 * Requests are bounded: the request line by max-request-size, the headers and the time
 * of one exchange by the JDK server's settings ({@link #bound()}), bodies are not read.
 * Each request passes {@link RequestCheck} (web pages, the token) before its path is
 * looked at; every answer says nosniff and no-store, and a refusal or error closes the
 * connection.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    /**
     * Connections open at once, past which the JDK server closes a new one unanswered: the
     * operator, Prometheus and a few health checks need far fewer, and a flood must not eat
     * the descriptors the mail listeners need (reference.conf, mailproxy.admin).
     */
    static final int MAX_CONNECTIONS = 64;

    /** CSP Level 3 for every answer: the status page's own files, fetches to this origin, nothing else. */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final HttpServer http;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Supplier<ProxyServer> server;
    private final BooleanSupplier reload;
    private final int maxRequest;
    private final RequestCheck check;

    private AdminServer(HttpServer http, Supplier<ProxyServer> server, BooleanSupplier reload, AdminConfig config) {
        this.http = http;
        this.server = server;
        this.reload = reload;
        this.maxRequest = config.maxRequestBytes();
        this.check = new RequestCheck(config);
    }

    /**
     * Binds and starts serving.
     *
     * @param server the proxy, or null while it is starting
     * @param reload re-reads the config file as SIGHUP does; true when the new one is in force
     */
    public static AdminServer start(AdminConfig config, Supplier<ProxyServer> server, BooleanSupplier reload)
            throws IOException {
        bound();
        HttpServer http;
        try {
            http = HttpServer.create(config.listen(), 64);
        } catch (IOException e) {
            throw new IOException("cannot listen on " + Addresses.hostPort(config.listen()) + " (admin): " + e.getMessage(), e);
        }
        AdminServer a = new AdminServer(http, server, reload, config);
        http.setExecutor(a.threads);
        http.createContext("/", a::handle);
        http.start();
        log.info("admin listening on {}", Addresses.hostPort(a.address()));
        return a;
    }

    /**
     * The JDK server's own bounds, unless the operator set them (-D): 30 s for a request
     * to arrive and for its answer to be taken, 50 header lines, 8 KB of request line plus
     * headers, {@link #MAX_CONNECTIONS} connections (reference.conf, mailproxy.admin). The
     * JDK reads them once, when the first JDK HTTP server of the process starts: in
     * mailproxy that is this one.
     */
    private static void bound() {
        setIfAbsent("sun.net.httpserver.maxReqTime", "30");
        setIfAbsent("sun.net.httpserver.maxRspTime", "30");
        setIfAbsent("sun.net.httpserver.maxReqHeaders", "50");
        setIfAbsent("sun.net.httpserver.maxReqHeaderSize", "8192");
        setIfAbsent("jdk.httpserver.maxConnections", Integer.toString(MAX_CONNECTIONS));
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) System.setProperty(key, value);
    }

    public InetSocketAddress address() { return http.getAddress(); }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            // an opaque target ("mailto:x") has no path (the JDK server drops those today): no route
            String path = ex.getRequestURI().getRawPath() == null ? "" : ex.getRequestURI().getRawPath();
            RequestCheck.Refusal no = check.check(ex.getRequestMethod(), path,
                    ex.getRequestHeaders()::get, ex.getLocalAddress().getAddress());
            if (no != null) {
                // the path without its query, and never a header's value: Authorization holds the token
                log.info("admin refused {} {} from {}: {}", LogSafe.text(ex.getRequestMethod()),
                        LogSafe.text(path), Addresses.hostPort(ex.getRemoteAddress()), no.reason().strip());
                if (no.status() == 401) ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"mailproxy admin\"");
                send(ex, no.status(), no.reason());
                return;
            }
            String raw = path + "?" + ex.getRequestURI().getRawQuery();
            if (raw.length() > maxRequest) {
                send(ex, 414, "request longer than admin.max-request-size\n");
                return;
            }
            Routes.Answer a;
            try {
                a = Routes.answer(ex.getRequestMethod(), path, Query.parse(ex.getRequestURI().getRawQuery()),
                        server.get(), reload);
            } catch (IllegalArgumentException e) {
                a = new Routes.Answer(400, e.getMessage() + "\n", Routes.TEXT);
            }
            send(ex, a);
        } catch (IOException e) {
            log.debug("admin request failed: {}", e.toString()); // the client went away
        } catch (RuntimeException e) {
            log.warn("admin request failed, a bug", e);
        }
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        send(ex, new Routes.Answer(status, body, Routes.TEXT));
    }

    private static void send(HttpExchange ex, Routes.Answer a) throws IOException {
        byte[] body = a.body() != null ? a.body().getBytes(StandardCharsets.UTF_8) : a.bytes();
        ex.getResponseHeaders().set("Content-Type", a.contentType());
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        // no answer is ever to be sniffed into HTML or script by a browser (docs/SECURITY.md)
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        // the status page runs only its own script and styles, talks only to this listener, and is
        // framed by no one (clickjacking of its buttons); other answers are not pages, it costs nothing
        ex.getResponseHeaders().set("Content-Security-Policy", CSP);
        ex.getResponseHeaders().set("Referrer-Policy", "no-referrer");
        // a refusal or an error ends the connection: the next request starts afresh
        if (a.status() >= 400) ex.getResponseHeaders().set("Connection", "close");
        boolean head = ex.getRequestMethod().equals("HEAD");
        // RFC 9110 §9.3.2: HEAD gets GET's headers without the body; the JDK server wants -1 for it
        ex.sendResponseHeaders(a.status(), body.length == 0 || head ? -1 : body.length);
        if (body.length > 0 && !head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** Stops listening; exchanges under way get a second to finish. */
    @Override
    public void close() {
        http.stop(1);
        threads.shutdownNow();
    }
}
