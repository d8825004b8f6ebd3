package mailproxy.config;

import com.typesafe.config.ConfigFactory;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * Each protocol's section of a backend (mailproxy.backends.NAME.&lt;protocol&gt;), read by the
 * reader its {@link Protocol} names. A key left out takes the protocol's default (its
 * {@link ProtocolSpec#defaultPort()} and {@link ProtocolSpec#defaultBalance()}, no TLS,
 * no PROXY header); {@link #DEFAULTS} is an empty section read that way, the one place
 * those defaults come from.
 */
final class BackendSections {
    private BackendSections() {}

    /** Reads one protocol's section; the caller rejects the keys it did not read. */
    interface Reader {
        Backend.Section read(Section s, Protocol p);
    }

    /** Every protocol's section as {} reads. */
    static final Map<Protocol, Backend.Section> DEFAULTS = defaults();

    private static Map<Protocol, Backend.Section> defaults() {
        Map<Protocol, Backend.Section> out = new EnumMap<>(Protocol.class);
        for (Protocol p : Protocol.values()) {
            out.put(p, p.backendSection().read(new Section(ConfigFactory.empty(), p.id(), "reference.conf"), p));
        }
        return Collections.unmodifiableMap(out);
    }

    static Backend.Imap imap(Section s, Protocol p) {
        return new Backend.Imap(port(s, p), s.has("login") ? s.oneOf("login", Backend.ImapLogin.class) : Backend.ImapLogin.LOGIN,
                !s.has("send-id") || s.bool("send-id"), tls(s), balance(s, p), proxyProtocol(s));
    }

    static Backend.Pop3 pop3(Section s, Protocol p) {
        return new Backend.Pop3(port(s, p), s.has("login") ? s.oneOf("login", Backend.Pop3Login.class) : Backend.Pop3Login.USER,
                s.has("xclient") && s.bool("xclient"), tls(s), balance(s, p), proxyProtocol(s));
    }

    static Backend.Smtp smtp(Section s, Protocol p) {
        return new Backend.Smtp(port(s, p), s.has("auth") ? s.oneOf("auth", Backend.SmtpAuth.class) : Backend.SmtpAuth.NONE,
                s.has("xclient") && s.bool("xclient"), tls(s), balance(s, p), proxyProtocol(s));
    }

    /** A protocol whose section has only the keys every protocol has. */
    static Backend.Basic basic(Section s, Protocol p) {
        return new Backend.Basic(p, port(s, p), tls(s), balance(s, p), proxyProtocol(s));
    }

    private static int port(Section s, Protocol p) {
        return s.has("port") ? s.integer("port", 1, 65535) : p.spec().defaultPort();
    }

    private static Backend.Tls tls(Section s) {
        return s.has("tls") ? s.oneOf("tls", Backend.Tls.class) : Backend.Tls.OFF;
    }

    private static Backend.Balance balance(Section s, Protocol p) {
        return s.has("balance") ? s.oneOf("balance", Backend.Balance.class) : p.spec().defaultBalance();
    }

    private static Backend.ProxyProtocol proxyProtocol(Section s) {
        return s.has("proxy-protocol") ? s.oneOf("proxy-protocol", Backend.ProxyProtocol.class) : Backend.ProxyProtocol.OFF;
    }
}
