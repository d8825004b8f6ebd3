package mailproxy.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import com.typesafe.config.ConfigObject;
import mailproxy.tls.BackendTlsSettings;
import mailproxy.tls.CertificateSource;
import mailproxy.tls.ServerTlsSettings;
import mailproxy.tls.SessionResumption;
import mailproxy.tls.TlsClient;
import mailproxy.tls.TlsConfigException;
import mailproxy.tls.TlsProvider;
import mailproxy.tls.TlsServer;

/**
 * TLS keys of listeners and backends. Certificates and keys are loaded here, at startup,
 * so a missing file or a key that does not match its certificate fails `--check` and the
 * start, naming the key.
 */
final class TlsReader {
    private TlsReader() {}

    private enum Mode { OFF, IMPLICIT }

    static final List<String> LISTENER_KEYS = List.of(
            "tls", "starttls", "tls-certificates", "tls-protocols", "tls-ciphers", "tls-client-auth", "tls-client-ca",
            "tls-provider", "tls-session-cache", "tls-session-timeout", "tls-tickets", "tls-ticket-keys");

    /**
     * mailproxy.tls-provider (or a listener's own): which TLS serves the clients. openssl on a
     * machine where the bundled BoringSSL cannot load is an error naming the key.
     */
    static TlsProvider provider(Section s) {
        TlsProvider p = s.oneOf("tls-provider", TlsProvider.class);
        String why = p.unavailable();
        if (why != null) throw s.error("tls-provider", "openssl: " + why + "; use tls-provider = jdk");
        return p;
    }

    /** @param global mailproxy.tls-provider, which the listener's tls-provider overrides */
    static ListenerTls listener(Section s, TlsProvider global) {
        boolean implicit = s.oneOf("tls", Mode.class) == Mode.IMPLICIT;
        ListenerTls.StartTls starttls = s.oneOf("starttls", ListenerTls.StartTls.class);
        List<CertificateSource> certificates = certificates(s);
        List<String> protocols = s.strings("tls-protocols");
        List<String> ciphers = s.strings("tls-ciphers");
        ServerTlsSettings.ClientAuth clientAuth = s.oneOf("tls-client-auth", ServerTlsSettings.ClientAuth.class);
        String ca = s.string("tls-client-ca");
        TlsProvider provider = s.has("tls-provider") ? provider(s) : global;
        SessionResumption resumption = resumption(s);
        if (!implicit && starttls == ListenerTls.StartTls.OFF) return ListenerTls.NONE;
        if (implicit && starttls != ListenerTls.StartTls.OFF) {
            throw s.error("starttls", "must be off on a listener with tls = implicit (the connection is TLS from the start)");
        }
        if (certificates.isEmpty()) {
            throw s.error("tls-certificates", "TLS needs at least one { certificate = FILE, key = FILE } or { pkcs12 = FILE, password = ... }");
        }
        if (clientAuth != ServerTlsSettings.ClientAuth.NONE && ca.isEmpty()) {
            throw s.error("tls-client-ca", "client certificates need a CA file to verify them against");
        }
        ServerTlsSettings settings = new ServerTlsSettings(certificates, protocols, ciphers, clientAuth,
                ca.isEmpty() ? null : Path.of(ca), provider, resumption);
        try {
            return new ListenerTls(implicit, starttls, TlsServer.create(settings));
        } catch (TlsConfigException | RuntimeException e) {
            throw s.error(listenerKey(e.getMessage(), ca), e.getMessage());
        }
    }

    /** nginx's ssl_session_cache, ssl_session_timeout, ssl_session_tickets, ssl_session_ticket_key. */
    private static SessionResumption resumption(Section s) {
        int cache = s.integer("tls-session-cache", 0, 10_000_000);
        Duration timeout = s.duration("tls-session-timeout", Duration.ofSeconds(1));
        boolean tickets = s.bool("tls-tickets");
        List<Path> keys = s.stringOrList("tls-ticket-keys").stream().map(Path::of).toList();
        if (!tickets && !keys.isEmpty()) {
            throw s.error("tls-ticket-keys", "ticket keys with tls-tickets = false make no sense: drop one");
        }
        return new SessionResumption(cache, timeout, tickets, keys);
    }

    /**
     * The key a listener's TLS error is about: TlsServer.create checks protocols, ciphers,
     * certificates and the client CA in one go, and its messages say which (file errors
     * start with the file's name).
     */
    private static String listenerKey(String message, String ca) {
        String m = message == null ? "" : message;
        if (m.startsWith("tls protocols")) return "tls-protocols";
        if (m.startsWith("tls ciphers")) return "tls-ciphers";
        if (m.startsWith("tls-provider")) return "tls-provider";
        if (m.startsWith("tls-ticket-keys")) return "tls-ticket-keys";
        if (m.startsWith("tls-tickets")) return "tls-tickets";
        if (!ca.isEmpty() && (m.startsWith(ca + ":") || m.startsWith(Path.of(ca) + ":"))) return "tls-client-ca";
        return "tls-certificates";
    }

    private static List<CertificateSource> certificates(Section s) {
        List<CertificateSource> out = new ArrayList<>();
        List<? extends ConfigObject> objects = s.objects("tls-certificates");
        for (int i = 0; i < objects.size(); i++) {
            Section c = new Section(objects.get(i).toConfig(), s.path() + ".tls-certificates[" + i + "]", s.file());
            if (c.has("pkcs12")) {
                out.add(new CertificateSource.Pkcs12(Path.of(c.string("pkcs12")), c.has("password") ? c.string("password") : ""));
            } else {
                out.add(new CertificateSource.Pem(Path.of(c.string("certificate")), Path.of(c.string("key"))));
            }
            c.rejectUnknownKeys();
        }
        return List.copyOf(out);
    }

    /**
     * Backend-wide TLS client settings (tls-verify, tls-ca, tls-server-name, tls-certificate,
     * tls-key); null when no protocol section of the backend uses TLS.
     */
    static TlsClient backend(Section b, String host, boolean used) {
        boolean verify = !b.has("tls-verify") || b.bool("tls-verify");
        String ca = b.has("tls-ca") ? b.string("tls-ca") : "";
        String serverName = b.has("tls-server-name") ? b.string("tls-server-name") : "";
        String cert = b.has("tls-certificate") ? b.string("tls-certificate") : "";
        String key = b.has("tls-key") ? b.string("tls-key") : "";
        if (!used) return null;
        if (cert.isEmpty() != key.isEmpty()) throw b.error(cert.isEmpty() ? "tls-certificate" : "tls-key", "tls-certificate and tls-key go together");
        if (!verify && !ca.isEmpty()) throw b.error("tls-verify", "tls-verify = false with a tls-ca makes no sense: drop one");
        BackendTlsSettings settings = new BackendTlsSettings(verify, ca.isEmpty() ? null : Path.of(ca),
                cert.isEmpty() ? null : new CertificateSource.Pem(Path.of(cert), Path.of(key)),
                serverName.isEmpty() ? (looksLikeName(host) ? host : null) : serverName, null);
        try {
            return TlsClient.create(settings);
        } catch (TlsConfigException | RuntimeException e) {
            throw b.error(backendKey(e.getMessage(), ca, cert, key), "TLS: " + e.getMessage());
        }
    }

    /** As {@link #listenerKey}: the backend key a TlsClient.create error is about, or null. */
    private static String backendKey(String message, String ca, String cert, String key) {
        String m = message == null ? "" : message;
        if (m.startsWith("backend server name")) return "tls-server-name";
        for (String[] k : new String[][] {{ca, "tls-ca"}, {key, "tls-key"}, {cert, "tls-certificate"}}) {
            if (!k[0].isEmpty() && (m.startsWith(k[0] + ":") || m.startsWith(Path.of(k[0]) + ":"))) return k[1];
        }
        return null;
    }

    private static boolean looksLikeName(String host) {
        return !host.isEmpty() && !host.contains(":") && !host.chars().allMatch(c -> c == '.' || Character.isDigit(c));
    }
}
