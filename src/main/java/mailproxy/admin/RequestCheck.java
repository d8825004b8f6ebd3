package mailproxy.admin;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import mailproxy.config.AdminConfig;
import mailproxy.config.AdminHosts;
import mailproxy.wire.LogSafe;

/**
 * Who may talk to the admin listener, checked before any path is looked at
 * (docs/SECURITY.md). The listener has no cookies, so its attackers are web pages the
 * operator opens: a page may send a simple request (a form POST) to 127.0.0.1 without
 * reading the answer (CSRF), and a page on a name it points at 127.0.0.1 may read the
 * answers (DNS rebinding). Hence, in this order:
 * <ol>
 * <li>Host must name this listener: a loopback name or address, the address the request
 *     reached, or a name in admin.hosts. A rebound name is none of these.</li>
 * <li>A cross-site Origin or Sec-Fetch-Site is refused, and so is every CORS preflight
 *     (OPTIONS): nothing is granted to another origin.</li>
 * <li>With admin.token-file, every request but the health checks and the status page's
 *     own files carries the bearer token (RFC 6750 §2.1), compared in constant time.</li>
 * <li>A request that changes state (anything but GET and HEAD) carries the token or
 *     {@code X-Mailproxy-Admin: 1}: a header a browser sends cross-site only after a
 *     preflight, which step 2 refuses.</li>
 * </ol>
 */
final class RequestCheck {
    static final String ADMIN_HEADER = "X-Mailproxy-Admin";

    /** Why a request is refused: its status and the answer's text. */
    record Refusal(int status, String reason) {}

    /**
     * Health checks come from load balancers that cannot send a token; they show only
     * readiness. The status page's three files hold no data (the page fetches it with the
     * token the operator types in), and a browser cannot send a bearer token to load them.
     */
    private static final Set<String> OPEN_PATHS = Stream.concat(Stream.of("/health/live", "/health/ready"),
            StaticFiles.paths().stream()).collect(Collectors.toUnmodifiableSet());

    private final Set<String> hosts;
    private final byte[] tokenHash;

    RequestCheck(AdminConfig config) {
        this.hosts = config.hosts();
        this.tokenHash = config.token() == null ? null : sha256(config.token());
    }

    /**
     * Null when the request may go on, else why not.
     *
     * @param header the values of a request header by name (case-insensitive), null when absent
     * @param local the address the request reached
     */
    Refusal check(String method, String path, Function<String, List<String>> header, InetAddress local) {
        List<String> host = header.apply("Host");
        if (host == null || host.size() != 1) {
            // RFC 9112 §3.2: no Host, or more than one, is a 400
            return new Refusal(400, "a request needs exactly one Host header\n");
        }
        if (!knownHost(host.get(0), local)) {
            return new Refusal(403, "Host '" + LogSafe.text(host.get(0)) + "' is not this listener (see admin.hosts)\n");
        }
        List<String> origin = header.apply("Origin");
        // RFC 6454 §7: the Origin of a page served by this listener is http://<its Host>
        if (origin != null && (origin.size() != 1 || !origin.get(0).equalsIgnoreCase("http://" + host.get(0).trim()))) {
            return new Refusal(403, "cross-origin request refused\n");
        }
        List<String> site = header.apply("Sec-Fetch-Site");
        if (site != null && (site.size() != 1 || !(site.get(0).equals("same-origin") || site.get(0).equals("none")))) {
            return new Refusal(403, "cross-site request refused\n");
        }
        if (method.equals("OPTIONS")) return new Refusal(403, "no cross-origin access is granted\n");
        boolean readOnly = method.equals("GET") || method.equals("HEAD");
        boolean tokenShown = false;
        if (tokenHash != null && !(readOnly && OPEN_PATHS.contains(path))) {
            if (!tokenMatches(header.apply("Authorization"))) return new Refusal(401, "a bearer token is required\n");
            tokenShown = true;
        }
        if (!readOnly && !tokenShown) {
            List<String> admin = header.apply(ADMIN_HEADER);
            if (admin == null || admin.size() != 1 || !admin.get(0).trim().equals("1")) {
                return new Refusal(403, "a " + LogSafe.text(method) + " needs the header " + ADMIN_HEADER + ": 1\n");
            }
        }
        return null;
    }

    /** Host = uri-host [ ":" port ] (RFC 9110 §7.2); only its host part matters. */
    private boolean knownHost(String value, InetAddress local) {
        String v = value.trim();
        String host = v;
        int colon = v.lastIndexOf(':');
        if (v.startsWith("[") ? colon > v.indexOf(']') : colon >= 0) {
            String port = v.substring(colon + 1);
            if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) return false;
            host = v.substring(0, colon);
        }
        if (!host.startsWith("[") && host.indexOf(':') >= 0) return false; // an IPv6 literal needs its brackets
        String name = AdminHosts.normalize(host);
        if (name == null) return false;
        if (name.equals("localhost") || hosts.contains(name)) return true;
        // an IP literal cannot be rebound: loopback, or the very address the request reached
        InetAddress ip = AdminHosts.literal(name);
        return ip != null && (ip.isLoopbackAddress() || ip.equals(local));
    }

    private boolean tokenMatches(List<String> authorization) {
        if (authorization == null || authorization.size() != 1) return false;
        String a = authorization.get(0).trim();
        // RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; the scheme is case-insensitive
        if (a.length() < 7 || !a.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) return false;
        return MessageDigest.isEqual(sha256(a.substring(7).trim()), tokenHash);
    }

    /** Both sides hashed first: isEqual then compares equal lengths, so the time tells nothing of the token. */
    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
