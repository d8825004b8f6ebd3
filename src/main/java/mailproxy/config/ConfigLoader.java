package mailproxy.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import mailproxy.tls.ServerTlsSettings;
import mailproxy.tls.TlsProvider;

/**
 * Reads a HOCON file over reference.conf into a {@link ProxyConfig}. This is the only class
 * that sees typesafe-config; everything after startup gets records.
 */
public final class ConfigLoader {
    private ConfigLoader() {}

    public static ProxyConfig load(Path file) {
        if (!Files.isReadable(file)) throw new ConfigException("config error: cannot read " + file);
        Config user;
        try {
            user = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException("config error in " + file + ": " + e.getMessage());
        }
        return read(user, file.toString());
    }

    /** Reads config text (tests, --check of a string); {@code name} stands for the file in errors. */
    public static ProxyConfig parse(String hocon, String name) {
        Config user;
        try {
            user = ConfigFactory.parseString(hocon, ConfigParseOptions.defaults().setOriginDescription(name));
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException("config error in " + name + ": " + e.getMessage());
        }
        return read(user, name);
    }

    private static ProxyConfig read(Config user, String file) {
        Config all;
        try {
            Config reference = ConfigFactory.parseResources(ConfigLoader.class, "/reference.conf");
            all = user.withFallback(reference).resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(true));
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException("config error in " + file + ": " + e.getMessage());
        }
        Section top = new Section(all, "", file);
        for (String k : all.root().keySet()) {
            if (!k.equals("mailproxy")) throw top.error(k, "unknown key: everything lives under mailproxy { ... }");
        }
        Section m = top.section("mailproxy");
        String serverName = m.string("server-name");
        int maxConnections = m.integer("max-connections", 1, 1_000_000);
        Duration drain = m.duration("drain-timeout", Duration.ZERO);
        Limits limits = limits(m.section("limits"));
        Section relay = m.section("relay");
        int relayBuffer = (int) relay.bytes("buffer-size", 512, 1 << 20);
        relay.rejectUnknownKeys();
        Map<String, Backend> backends = BackendReader.read(m);
        Map<String, RouterConfig> routers = RouterReader.read(m, backends);
        String defaultRouter = m.string("default-router");
        if (defaultRouter.isEmpty() && routers.size() == 1) defaultRouter = routers.keySet().iterator().next();
        if (!defaultRouter.isEmpty() && !routers.containsKey(defaultRouter)) {
            throw m.error("default-router", "no router named '" + defaultRouter + "' in mailproxy.routers");
        }
        TlsProvider tlsProvider = TlsReader.provider(m);
        Section defaults = m.section("listener-defaults");
        List<ListenerConfig> listeners = new ArrayList<>();
        List<? extends ConfigObject> objects = m.objects("listeners");
        for (int i = 0; i < objects.size(); i++) {
            Config merged = objects.get(i).toConfig().withFallback(all.getConfig("mailproxy.listener-defaults"));
            Section s = new Section(merged, "mailproxy.listeners[" + i + "]", file);
            listeners.add(listener(s, i, routers, defaultRouter, limits, relayBuffer, backends, tlsProvider));
        }
        defaults.rejectUnknownKeys(ListenerKeys.ALL);
        GuardConfig guard = GuardReader.read(m);
        AdminConfig admin = ObservabilityReader.admin(m);
        TraceConfig trace = ObservabilityReader.trace(m);
        m.rejectUnknownKeys();
        return new ProxyConfig(file, serverName, maxConnections, drain, limits, relayBuffer,
                Map.copyOf(backends), Map.copyOf(routers), defaultRouter, List.copyOf(listeners), guard, admin, trace);
    }

    /** reference.conf's guard and state sections, read once. */
    static GuardConfig defaultGuard() {
        return DefaultGuard.VALUE;
    }

    private static final class DefaultGuard {
        static final GuardConfig VALUE = parse("", "reference.conf").guard();
    }

    private static Limits limits(Section s) {
        Limits l = new Limits(
                (int) s.bytes("line-length", 64, 1 << 20),
                (int) s.bytes("literal-size", 64, 1 << 24),
                s.integer("max-errors", 1, 1000),
                s.duration("timeout", Duration.ofSeconds(1)),
                s.duration("proxy-timeout", Duration.ofSeconds(1)),
                s.duration("half-close-timeout", Duration.ofMillis(1)),
                s.duration("connect-timeout", Duration.ofMillis(100)),
                s.duration("greeting-timeout", Duration.ofMillis(100)),
                s.duration("backend-timeout", Duration.ofMillis(100)),
                (int) s.bytes("backend-line-length", 512, 1 << 24),
                s.duration("login-lifetime", Duration.ZERO));
        if (!l.loginLifetime().isZero() && l.loginLifetime().compareTo(Duration.ofSeconds(1)) < 0) {
            throw s.error("login-lifetime", "expected 0s (no bound) or at least 1s, got " + l.loginLifetime());
        }
        s.rejectUnknownKeys();
        return l;
    }

    private static ListenerConfig listener(Section s, int index, Map<String, RouterConfig> routers, String defaultRouter,
            Limits limits, int relayBuffer, Map<String, Backend> backends, TlsProvider tlsProvider) {
        Protocol protocol = s.oneOf("protocol", Protocol.class);
        String name = s.has("name") ? s.string("name") : protocol.id() + "-" + index;
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (String a : s.stringOrList("listen")) addresses.add(address(s, a));
        if (addresses.isEmpty()) throw s.error("listen", "expected at least one address such as \"127.0.0.1:110\"");
        String router = s.string("router");
        if (router.isEmpty()) router = defaultRouter;
        if (router.isEmpty()) throw s.error("router", "no router named and no mailproxy.default-router");
        if (!routers.containsKey(router)) throw s.error("router", "no router named '" + router + "' in mailproxy.routers");
        List<String> auth = new ArrayList<>();
        boolean authNone = false;
        for (String mech : s.strings("auth")) {
            String m = mech.toLowerCase(Locale.ROOT);
            if (m.equals("none")) {
                // nginx smtp_auth none: mail without AUTH, routed as in mx mode. IMAP and POP3
                // have no such thing: a session there is a login.
                if (protocol != Protocol.SMTP) throw s.error("auth", "none is for smtp listeners only (MAIL without AUTH)");
                authNone = true;
                continue;
            }
            if (!ListenerKeys.MECHANISMS.contains(m)) {
                throw s.error("auth", "expected mechanisms among " + ListenerKeys.MECHANISMS + ", got '" + mech + "'");
            }
            auth.add(m);
        }
        boolean apop = s.bool("pop3-apop") && protocol == Protocol.POP3;
        if (routers.get(router) instanceof RouterConfig.Static) {
            // CRAM-MD5 and APOP give the proxy a digest, not a password: only an auth server
            // (Auth-Pass) can say what to log in to the backend with.
            for (String m : auth) {
                if (ListenerKeys.DIGEST_MECHANISMS.contains(m)) {
                    throw s.error("auth", m + " needs an auth-http router (router '" + router
                            + "' is static and has no password to give the backend)");
                }
            }
            if (apop) {
                throw s.error("pop3-apop", "APOP needs an auth-http router (router '" + router
                        + "' is static and has no password to give the backend)");
            }
        }
        // LMTP (RFC 2033) has no AUTH: the MTA delivering is trusted by where it connects from
        if (protocol == Protocol.LMTP) auth.clear();
        ListenerTls tls = TlsReader.listener(s, tlsProvider);
        // EXTERNAL (RFC 4422 appendix A) names the user by a client certificate: with no TLS,
        // or none requested, no client can ever have one, so it is not announced there (a
        // listener-defaults auth list with external stays valid for every listener).
        if (tls == ListenerTls.NONE || s.oneOf("tls-client-auth", ServerTlsSettings.ClientAuth.class) == ServerTlsSettings.ClientAuth.NONE) {
            auth.removeIf(m -> m.equals("external"));
        }
        boolean proxyProtocol = s.bool("proxy-protocol");
        ListenerConfig.SmtpMode smtpMode = s.oneOf("smtp-mode", ListenerConfig.SmtpMode.class);
        boolean trustUnchecked = s.bool("smtp-trust-unchecked-login");
        if (protocol == Protocol.SMTP && smtpMode == ListenerConfig.SmtpMode.SUBMISSION && !trustUnchecked) {
            UncheckedLogin.refuse(s, name, routers.get(router), auth, backends);
        }
        ListenerConfig l = new ListenerConfig(name, protocol, List.copyOf(addresses), router, List.copyOf(auth),
                s.strings("pop3-capabilities"), s.strings("imap-capabilities"),
                smtpMode,
                s.bytes("smtp-size", -1, Long.MAX_VALUE),
                s.duration("smtp-greeting-delay", Duration.ZERO),
                tls,
                apop,
                proxyProtocol,
                ListenerOptions.trustedProxies(s, proxyProtocol),
                ListenerOptions.limits(s, limits),
                ListenerOptions.relayBufferSize(s, relayBuffer),
                ListenerOptions.smtpCapabilities(s, protocol),
                authNone,
                ListenerOptions.lmtp(s, protocol),
                ListenerOptions.sieve(s),
                s.bool("trace"),
                (int) s.bytes("trace-relay-bytes", 0, 1 << 20));
        s.rejectUnknownKeys();
        return l;
    }

    /** "127.0.0.1:110", "[::1]:110", "*:110" (all addresses) or "110". */
    static InetSocketAddress address(Section s, String text) {
        String host;
        String port;
        int colon = text.lastIndexOf(':');
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || colon < close) throw s.error("listen", "expected \"[v6 address]:port\", got '" + text + "'");
            host = text.substring(1, close);
            port = text.substring(close + 2);
        } else if (colon < 0) {
            host = "*";
            port = text;
        } else {
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
        }
        int p;
        try {
            p = Integer.parseInt(port.trim());
        } catch (NumberFormatException e) {
            throw s.error("listen", "expected host:port, got '" + text + "'");
        }
        if (p < 0 || p > 65535) throw s.error("listen", "port out of range in '" + text + "'");
        if (host.equals("*") || host.isEmpty()) return new InetSocketAddress(p);
        InetSocketAddress a = new InetSocketAddress(host, p);
        if (a.isUnresolved()) throw s.error("listen", "cannot resolve host in '" + text + "'");
        return a;
    }

    static Map<String, String> lowerKeys(Map<String, String> in) {
        Map<String, String> out = new LinkedHashMap<>();
        in.forEach((k, v) -> out.put(k.toLowerCase(Locale.ROOT), v));
        return Map.copyOf(out);
    }
}
