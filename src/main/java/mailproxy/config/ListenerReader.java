package mailproxy.config;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import mailproxy.tls.ServerTlsSettings;
import mailproxy.tls.TlsProvider;
import mailproxy.wire.CidrSet;

/**
 * Reads one listener: the keys every listener has here, then each protocol's options
 * through that protocol's reader (named in {@link Protocol}). Every protocol's reader runs
 * on every listener, so a wrong value in listener-defaults fails whichever listener takes
 * it, as it always has; the listener keeps its own protocol's record.
 */
final class ListenerReader {
    private ListenerReader() {}

    /** The keys of every listener, whatever its protocol. */
    static final List<String> KEYS = List.of("name", "protocol", "listen", "router", "auth", "trace", "trace-relay-bytes");

    /** A protocol's listener options: the keys it reads and how. */
    record OptionsReader(List<String> keys, Function<Context, ListenerConfig.Options> read) {}

    /**
     * What a protocol's reader may need besides its own keys.
     *
     * @param protocol the listener's protocol (not necessarily the reader's)
     * @param auth     the mechanisms as the listener will offer them
     * @param authNone "none" was in auth (SMTP only)
     */
    record Context(Section s, Protocol protocol, String name, String routerName, RouterConfig router,
                   List<String> auth, boolean authNone, Map<String, Backend> backends) {}

    static ListenerConfig read(Section s, int index, Map<String, RouterConfig> routers, String defaultRouter,
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
        Mechanisms auth = mechanisms(s, protocol, router, routers.get(router));
        ListenerTls tls = TlsReader.listener(s, tlsProvider);
        // EXTERNAL (RFC 4422 appendix A) names the user by a client certificate: with no TLS,
        // or none requested, no client can ever have one, so it is not announced there (a
        // listener-defaults auth list with external stays valid for every listener).
        if (tls == ListenerTls.NONE || s.oneOf("tls-client-auth", ServerTlsSettings.ClientAuth.class) == ServerTlsSettings.ClientAuth.NONE) {
            auth.offered().removeIf(m -> m.equals("external"));
        }
        List<String> offered = List.copyOf(auth.offered());
        boolean proxyProtocol = s.bool("proxy-protocol");
        Context context = new Context(s, protocol, name, router, routers.get(router), offered, auth.none(), backends);
        ListenerConfig.Options own = null;
        for (Protocol p : Protocol.values()) {
            ListenerConfig.Options options = p.listenerOptions().read().apply(context);
            if (p == protocol) own = options;
        }
        CidrSet trustedProxies = ListenerOptions.trustedProxies(s, proxyProtocol);
        Limits ownLimits = ListenerOptions.limits(s, limits);
        int relayBufferSize = ListenerOptions.relayBufferSize(s, relayBuffer);
        boolean trace = s.bool("trace");
        int traceRelayBytes = (int) s.bytes("trace-relay-bytes", 0, 1 << 20);
        s.rejectUnknownKeys();
        ListenerKeys.checkDeclared(s);
        return new ListenerConfig(name, protocol, List.copyOf(addresses), router, offered, tls,
                proxyProtocol, trustedProxies, ownLimits, relayBufferSize, trace, traceRelayBytes, own);
    }

    /** The auth list: the mechanisms offered (a list the caller may still narrow) and SMTP's "none". */
    private record Mechanisms(List<String> offered, boolean none) {}

    private static Mechanisms mechanisms(Section s, Protocol protocol, String routerName, RouterConfig router) {
        List<String> auth = new ArrayList<>();
        boolean none = false;
        for (String mech : s.strings("auth")) {
            String m = mech.toLowerCase(Locale.ROOT);
            if (m.equals("none")) {
                // nginx smtp_auth none: mail without AUTH, routed as in mx mode. IMAP and POP3
                // have no such thing: a session there is a login.
                if (protocol != Protocol.SMTP) throw s.error("auth", "none is for smtp listeners only (MAIL without AUTH)");
                none = true;
                continue;
            }
            if (!ListenerKeys.MECHANISMS.contains(m)) {
                throw s.error("auth", "expected mechanisms among " + ListenerKeys.MECHANISMS + ", got '" + mech + "'");
            }
            auth.add(m);
        }
        if (router instanceof RouterConfig.Static) {
            // CRAM-MD5 (and POP3's APOP) give the proxy a digest, not a password: only an
            // auth server (Auth-Pass) can say what to log in to the backend with.
            for (String m : auth) {
                if (ListenerKeys.DIGEST_MECHANISMS.contains(m)) {
                    throw s.error("auth", m + " needs an auth-http router (router '" + routerName
                            + "' is static and has no password to give the backend)");
                }
            }
        }
        // LMTP (RFC 2033) has no AUTH: the MTA delivering is trusted by where it connects from
        if (!protocol.spec().login()) auth.clear();
        return new Mechanisms(auth, none);
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
}
