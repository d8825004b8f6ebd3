package mailproxy.route;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import mailproxy.config.Backend;
import mailproxy.config.Protocol;
import mailproxy.config.RouterConfig;
import mailproxy.wire.LogSafe;
import mailproxy.tls.TlsClient;
import mailproxy.tls.TlsFacts;
import mailproxy.wire.ProxyHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * nginx's auth_http protocol (ngx_mail_auth_http_module), so that an auth server written
 * for nginx works unchanged: one GET per login carrying the credentials and the client's
 * facts in headers; the answer is in the response headers only (status code and body are
 * ignored, as nginx ignores them).
 *
 * <p>Request headers, in nginx's order: Auth-Method, Auth-User, Auth-Pass, [Auth-Salt],
 * Auth-Protocol, Auth-Login-Attempt, Client-IP, [Client-Host], [Auth-SMTP-Helo/-From/-To],
 * [Proxy-Protocol-Addr/-Port/-Server-Addr/-Server-Port], [Auth-SSL...], then the configured
 * ones. Beyond nginx: Client-Port.
 *
 * <p>Response: {@code Auth-Status: OK} with Auth-Server and Auth-Port (and optionally
 * Auth-User / Auth-Pass to log in to the backend with) routes the login;
 * {@code Auth-Status: WAIT} asks again after Auth-Wait seconds, not counting an attempt;
 * any other Auth-Status is the error text for the client, with Auth-Wait the client may
 * retry after that wait, without it the connection is closed; Auth-Error-Code gives the
 * SMTP reply code. A server that is down, slow or answers something else is a temporary
 * failure.
 */
final class AuthHttpRouter implements Router {
    private static final Logger log = LoggerFactory.getLogger(AuthHttpRouter.class);

    /** WAIT answers in a row before the login counts as a temporary failure (nginx has no bound). */
    static final int MAX_WAIT_ROUNDS = 20;
    /** Longest Auth-Wait honoured; a larger value is cut to this. */
    static final Duration MAX_WAIT = Duration.ofMinutes(10);
    /** Auth-Error-Code: an SMTP reply code, optionally with an enhanced status code (RFC 3463), e.g. "535 5.7.8". */
    private static final Pattern SMTP_CODE = Pattern.compile("[45][0-9]{2}(?: [245]\\.[0-9]{1,3}\\.[0-9]{1,3})?");
    /** RFC 1123 §2.1 host names: letters, digits, hyphens, dots. */
    private static final Pattern HOST_NAME = Pattern.compile("(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?");
    private static final Pattern IP_V6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    private final RouterConfig.AuthHttp config;
    private final AuthHttpClient client;
    private final Backend options;
    private final List<Map.Entry<String, String>> extraHeaders;
    private final CallLimiter limiter;

    AuthHttpRouter(RouterConfig.AuthHttp config, Map<String, Backend> backends) {
        this(config, backends, new CallLimiter(config.name(), config.limit()));
    }

    /** {@code limiter}: the bound on requests at once, maybe the previous generation's (README, "Reconnect storms"). */
    AuthHttpRouter(RouterConfig.AuthHttp config, Map<String, Backend> backends, CallLimiter limiter) {
        this.config = config;
        this.limiter = limiter;
        this.client = new AuthHttpClient(config.url(), config.timeout(), config.keepAlive());
        this.options = options(config, backends);
        List<Map.Entry<String, String>> extra = new ArrayList<>();
        // config text is Unicode; on the wire it is UTF-8, like the rest of the request bytes
        config.headers().forEach((k, v) -> extra.add(Map.entry(k,
                HeaderEscaping.controls(new String(v.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1)))));
        this.extraHeaders = List.copyOf(extra);
    }

    /**
     * The login options (IMAP login style and ID, POP3 XCLIENT, SMTP AUTH and XCLIENT) for
     * servers the auth server names, and TLS to them: those of the backend named by backend-options, else
     * the defaults. The port is the auth server's; the one here is never used.
     */
    private static Backend options(RouterConfig.AuthHttp config, Map<String, Backend> backends) {
        Backend t = config.backendTemplate() == null ? null : backends.get(config.backendTemplate());
        Map<Protocol, Backend.Section> sections = new EnumMap<>(Protocol.class);
        for (Protocol p : Protocol.values()) {
            Backend.Section own = t == null ? null : t.section(p);
            sections.put(p, own != null ? own : Backend.defaults(p));
        }
        String name = t != null ? t.name() : "auth-http:" + config.name();
        // TLS to the servers it names follows the template too (tls-ca, tls-server-name, ...)
        String host = t != null ? t.host() : "";
        TlsClient tls = t != null ? t.tlsClient() : null;
        return new Backend(name, host, sections, tls, List.of(new Backend.Server(host, 1, Map.of(), tls)),
                Backend.Pooling.ONE_HOST);
    }

    @Override
    public Route route(LoginRequest r) throws InterruptedException {
        List<Map.Entry<String, String>> headers = headers(r);
        for (int round = 1; ; round++) {
            AuthHttpClient.Response response;
            // each request holds a place, a WAIT's sleep does not (README, "Reconnect storms")
            CallLimiter.Entry entry = limiter.enter();
            if (entry != CallLimiter.Entry.ENTERED) {
                return new Route.Unavailable("router " + config.name() + " busy (" + entry.name().toLowerCase(java.util.Locale.ROOT)
                        .replace('_', '-') + "): " + limiter.settings().maxConcurrent() + " requests to the auth server at once", true);
            }
            try {
                response = client.get(headers);
            } catch (SocketTimeoutException e) {
                return new Route.Unavailable("auth server " + config.url() + " did not answer within " + config.timeout());
            } catch (AuthHttpClient.MalformedResponseException e) {
                return new Route.Unavailable("auth server " + config.url() + " sent a malformed response: " + e.getMessage());
            } catch (IOException e) {
                if (Thread.interrupted()) throw new InterruptedException("stopped while asking the auth server");
                return new Route.Unavailable("auth server " + config.url() + " unreachable: " + e);
            } finally {
                limiter.exit();
            }
            String status = response.header("auth-status");
            Duration wait = authWait(response.header("auth-wait"));
            if ("WAIT".equals(status)) {
                // nginx: ask again after Auth-Wait, same attempt number (ngx_mail_auth_http_init again)
                if (round >= MAX_WAIT_ROUNDS) {
                    return new Route.Unavailable("auth server said WAIT " + round + " times for " + LogSafe.value(r.user()));
                }
                log.debug("auth server says WAIT {} for {}", wait, LogSafe.value(r.user()));
                Thread.sleep(wait == null ? Duration.ZERO : wait);
                continue;
            }
            return answer(r, response, status, wait);
        }
    }

    private Route answer(LoginRequest r, AuthHttpClient.Response response, String status, Duration wait) {
        if (status != null && !status.equals("OK")) {
            String code = response.header("auth-error-code");
            if (code != null && !SMTP_CODE.matcher(code).matches()) {
                log.warn("auth server sent Auth-Error-Code '{}', not like '535 5.7.8': using the default", LogSafe.text(code));
                code = null;
            }
            log.info("{} login of {} refused by the auth server: {}", r.protocol().id(), LogSafe.value(r.user()),
                    LogSafe.value(status));
            // nginx: an Auth-Wait of 0 (or none) sends the error and closes. The text goes into
            // the client's reply line: a NUL or bare CR inside a header value must not.
            return new Route.Reject(status.replaceAll("[\\x00-\\x1f\\x7f]", " "),
                    wait == null || wait.isZero() ? null : wait, code);
        }
        // "OK", or no Auth-Status at all: nginx goes on when server and port are there
        String server = response.header("auth-server");
        String port = response.header("auth-port");
        if (server == null || server.isEmpty() || port == null || port.isEmpty()) {
            return new Route.Unavailable("auth server sent no Auth-Server or Auth-Port (Auth-Status "
                    + (status == null ? "missing" : LogSafe.value(status)) + ")");
        }
        String host = host(server);
        if (host == null) return new Route.Unavailable("auth server sent an invalid Auth-Server: " + LogSafe.text(server));
        int p = port.matches("[0-9]{1,5}") ? Integer.parseInt(port) : -1;
        if (p < 1 || p > 65535) return new Route.Unavailable("auth server sent an invalid Auth-Port: " + LogSafe.text(port));
        String user = response.header("auth-user");
        if (user == null) user = r.user();
        String pass = response.header("auth-pass");
        if (pass == null) {
            boolean noPassword = r.method().equals("apop") || r.method().equals("cram-md5") || r.method().equals("external");
            // With a digest or a certificate the proxy has no password for the backend (nginx:
            // "did not send password"). nginx's SMTP proxy never logs in with one (XCLIENT
            // LOGIN= instead), so there it is not needed unless backend-options asks for SMTP AUTH.
            boolean smtpWithoutAuth = r.protocol() == Protocol.SMTP && options.smtp().auth() == Backend.SmtpAuth.NONE;
            if (noPassword && !smtpWithoutAuth) {
                return new Route.Unavailable("auth server sent no Auth-Pass for the " + r.method() + " login");
            }
            pass = noPassword ? "" : r.password();
        }
        // nginx: Auth-Server/Auth-Port is one server; a pool of one for it
        return new Route.Ok(Pool.single(new Target(host, p, options), r.protocol()), user, pass);
    }

    /** An IP address (IPv6 with or without brackets) or, beyond nginx, a host name. */
    static String host(String s) {
        String h = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
        if (h.indexOf(':') >= 0) return IP_V6.matcher(h).matches() ? h : null;
        return HOST_NAME.matcher(h).matches() ? h : null;
    }

    /** Auth-Wait: whole seconds (nginx ngx_atoi; anything else is ignored), capped at MAX_WAIT. */
    static Duration authWait(String s) {
        if (s == null || !s.matches("[0-9]{1,9}")) return null;
        Duration d = Duration.ofSeconds(Long.parseLong(s));
        return d.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : d;
    }

    /** The request headers for one login, escaped (see {@link HeaderEscaping}). */
    List<Map.Entry<String, String>> headers(LoginRequest r) {
        List<Map.Entry<String, String>> h = new ArrayList<>(24);
        h.add(Map.entry("Auth-Method", HeaderEscaping.credential(r.method())));
        h.add(Map.entry("Auth-User", HeaderEscaping.credential(nonNull(r.user()))));
        h.add(Map.entry("Auth-Pass", HeaderEscaping.credential(nonNull(r.password()))));
        if (r.method().equals("apop") || r.method().equals("cram-md5")) {
            h.add(Map.entry("Auth-Salt", HeaderEscaping.controls(nonNull(r.salt()))));
        }
        h.add(Map.entry("Auth-Protocol", r.protocol().id()));
        h.add(Map.entry("Auth-Login-Attempt", Integer.toString(r.attempt())));
        if (r.client() != null && r.client().getAddress() != null) {
            h.add(Map.entry("Client-IP", HeaderEscaping.ip(r.client().getAddress())));
            h.add(Map.entry("Client-Port", Integer.toString(r.client().getPort())));
        }
        if (r.protocol() == Protocol.SMTP) {
            // nginx without a resolver sends exactly this; the proxy does no reverse lookups
            h.add(Map.entry("Client-Host", "[UNAVAILABLE]"));
        }
        ProxyHeader proxy = r.proxy();
        if (proxy != null && proxy.hasAddresses()) {
            // nginx (listen ... proxy_protocol): what the balancer's header said
            h.add(Map.entry("Proxy-Protocol-Addr", HeaderEscaping.ip(proxy.source().getAddress())));
            h.add(Map.entry("Proxy-Protocol-Port", Integer.toString(proxy.source().getPort())));
            h.add(Map.entry("Proxy-Protocol-Server-Addr", HeaderEscaping.ip(proxy.destination().getAddress())));
            h.add(Map.entry("Proxy-Protocol-Server-Port", Integer.toString(proxy.destination().getPort())));
        }
        LoginRequest.SmtpFacts smtp = r.smtp();
        if (smtp != null) {
            // MX mode (Auth-Method none): the client's HELO name and its whole MAIL and RCPT lines
            h.add(Map.entry("Auth-SMTP-Helo", HeaderEscaping.controls(nonNull(smtp.helo()))));
            h.add(Map.entry("Auth-SMTP-From", HeaderEscaping.controls(nonNull(smtp.from()))));
            h.add(Map.entry("Auth-SMTP-To", HeaderEscaping.controls(nonNull(smtp.to()))));
        }
        TlsFacts tls = r.tls();
        if (tls != null) {
            h.add(Map.entry("Auth-SSL", "on"));
            optional(h, "Auth-SSL-Protocol", tls.protocol(), false);
            optional(h, "Auth-SSL-Cipher", tls.cipher(), false);
            optional(h, "Auth-SSL-Verify", tls.verify(), true);
            tls.clientCertificate().ifPresent(cert -> {
                optional(h, "Auth-SSL-Subject", cert.subject(), true);
                optional(h, "Auth-SSL-Issuer", cert.issuer(), true);
                optional(h, "Auth-SSL-Serial", cert.serial(), true);
                optional(h, "Auth-SSL-Fingerprint", cert.fingerprint(), true);
                // nginx escapes the PEM like a password: its line ends become %0A
                if (config.passClientCert() && cert.certificate() != null) optional(h, "Auth-SSL-Cert", cert.pem(), true);
            });
        }
        h.addAll(extraHeaders);
        return h;
    }

    private static void optional(List<Map.Entry<String, String>> h, String name, String value, boolean escaped) {
        if (value == null) return;
        // TLS facts are Java text (a DN may hold any Unicode): UTF-8 on the wire
        String wire = new String(value.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        // nginx escapes the certificate fields like the credentials (a DN may hold spaces and %)
        h.add(Map.entry(name, escaped ? HeaderEscaping.credential(wire) : HeaderEscaping.controls(wire)));
    }

    private static String nonNull(String s) {
        return s == null ? "" : s;
    }

    @Override
    public CallLimiter limiter() { return limiter; }

    @Override
    public void close() {
        client.close();
    }
}
