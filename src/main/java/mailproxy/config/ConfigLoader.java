package mailproxy.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
            // includes: relative to the including file, and required (FileIncludes)
            user = ConfigFactory.parseFile(file.toFile(), FileIncludes.options(file, 0));
        } catch (com.typesafe.config.ConfigException e) {
            throw parseError(e, file.toString());
        }
        return read(user, file.toString());
    }

    /**
     * A syntax error as "config error in FILE:LINE: what", naming the file it is in (an
     * included one too); {@code file} when the error has no file of its own.
     */
    static ConfigException parseError(com.typesafe.config.ConfigException e, String file) {
        com.typesafe.config.ConfigOrigin origin = e.origin();
        String message = e.getMessage();
        if (origin == null || origin.filename() == null) return new ConfigException("config error in " + file + ": " + message);
        // typesafe-config starts its message with the origin's description: "FILE: LINE: "
        String prefix = origin.description() + ": ";
        if (message.startsWith(prefix)) message = message.substring(prefix.length());
        String where = origin.filename() + (origin.lineNumber() > 0 ? ":" + origin.lineNumber() : "");
        return new ConfigException("config error in " + where + ": " + message);
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
            ListenerConfig l = ListenerReader.read(s, i, routers, defaultRouter, limits, relayBuffer, backends, tlsProvider);
            // the name labels the listener's metrics, audit lines and admin entries
            if (listeners.stream().anyMatch(other -> other.name().equals(l.name()))) {
                throw s.error("name", "a name no other listener has ('" + l.name() + "' is taken)");
            }
            listeners.add(l);
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
                s.duration("login-lifetime", Duration.ZERO),
                s.duration("proxy-header-timeout", Duration.ofMillis(10)));
        if (!l.loginLifetime().isZero() && l.loginLifetime().compareTo(Duration.ofSeconds(1)) < 0) {
            throw s.error("login-lifetime", "expected 0s (no bound) or at least 1s, got " + l.loginLifetime());
        }
        s.rejectUnknownKeys();
        return l;
    }

    static Map<String, String> lowerKeys(Map<String, String> in) {
        Map<String, String> out = new LinkedHashMap<>();
        in.forEach((k, v) -> out.put(k.toLowerCase(Locale.ROOT), v));
        return Map.copyOf(out);
    }
}
