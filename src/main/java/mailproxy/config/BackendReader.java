package mailproxy.config;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import mailproxy.tls.TlsClient;

/** mailproxy.backends: one host or a pool of servers, with a section per protocol they serve. */
final class BackendReader {
    private BackendReader() {}

    static Map<String, Backend> read(Section m) {
        Section all = m.section("backends");
        Map<String, Backend> out = new LinkedHashMap<>();
        for (String name : m.entries("backends").keySet()) {
            Section b = all.section(name);
            boolean listed = b.has("servers");
            if (listed && b.has("host")) {
                throw b.error("servers", "host and servers exclude each other: one host = \"...\", or servers = [ { host = ... }, ... ]");
            }
            if (!listed && !b.has("host")) {
                throw b.error("host", "missing; expected host = \"...\" or servers = [ { host = \"...\" }, ... ]");
            }
            String host = listed ? "" : b.string("host");
            Backend.Imap imap = null;
            Backend.Pop3 pop3 = null;
            Backend.Smtp smtp = null;
            Section s = b.optionalSection("imap");
            if (s != null) {
                imap = new Backend.Imap(port(s, 143), s.has("login") ? s.oneOf("login", Backend.ImapLogin.class)
                        : Backend.ImapLogin.LOGIN, !s.has("send-id") || s.bool("send-id"), tls(s),
                        balance(s, Backend.Balance.USER_HASH), proxyProtocol(s));
                s.rejectUnknownKeys();
            }
            s = b.optionalSection("pop3");
            if (s != null) {
                pop3 = new Backend.Pop3(port(s, 110), s.has("login") ? s.oneOf("login", Backend.Pop3Login.class)
                        : Backend.Pop3Login.USER, s.has("xclient") && s.bool("xclient"), tls(s),
                        balance(s, Backend.Balance.USER_HASH), proxyProtocol(s));
                s.rejectUnknownKeys();
            }
            s = b.optionalSection("smtp");
            if (s != null) {
                smtp = new Backend.Smtp(port(s, 25), s.has("auth") ? s.oneOf("auth", Backend.SmtpAuth.class)
                        : Backend.SmtpAuth.NONE, s.has("xclient") && s.bool("xclient"), tls(s),
                        balance(s, Backend.Balance.LEAST_CONNECTIONS), proxyProtocol(s));
                s.rejectUnknownKeys();
            }
            Backend.Lmtp lmtp = null;
            s = b.optionalSection("lmtp");
            if (s != null) {
                // RFC 2033 §5: LMTP must not be used on port 25; 24 is its registered port
                lmtp = new Backend.Lmtp(port(s, 24), tls(s), balance(s, Backend.Balance.USER_HASH), proxyProtocol(s));
                s.rejectUnknownKeys();
            }
            Backend.Sieve sieve = null;
            s = b.optionalSection("sieve");
            if (s != null) {
                // RFC 5804 §1.8: port 4190
                sieve = new Backend.Sieve(port(s, 4190), tls(s), balance(s, Backend.Balance.USER_HASH), proxyProtocol(s));
                s.rejectUnknownKeys();
            }
            if (imap == null && pop3 == null && smtp == null && lmtp == null && sieve == null) {
                throw all.error(name, "a backend needs at least one of imap { }, pop3 { }, smtp { }, lmtp { }, sieve { }");
            }
            Set<Protocol> served = EnumSet.noneOf(Protocol.class);
            boolean usesTls = false;
            for (Backend.Section section : new Backend.Section[] {imap, pop3, smtp, lmtp, sieve}) {
                if (section != null && section.tls() != Backend.Tls.OFF) usesTls = true;
            }
            if (imap != null) served.add(Protocol.IMAP);
            if (pop3 != null) served.add(Protocol.POP3);
            if (smtp != null) served.add(Protocol.SMTP);
            if (lmtp != null) served.add(Protocol.LMTP);
            if (sieve != null) served.add(Protocol.SIEVE);
            // with servers, the backend-wide client names no host (auth_http's backend-options
            // uses it for servers the auth server names); each server gets its own below
            TlsClient tlsClient = TlsReader.backend(b, host, usesTls);
            Backend.Pooling pooling = PoolReader.pooling(b, listed);
            List<Backend.Server> servers = listed
                    ? PoolReader.servers(b, served, usesTls)
                    : List.of(new Backend.Server(host, 1, 0, 0, 0, tlsClient));
            b.rejectUnknownKeys();
            Backend backend = new Backend(name, host, imap, pop3, smtp, tlsClient, servers, pooling, lmtp, sieve);
            PoolReader.rejectDuplicates(b, backend);
            out.put(name, backend);
        }
        return out;
    }

    private static Backend.Tls tls(Section s) {
        return s.has("tls") ? s.oneOf("tls", Backend.Tls.class) : Backend.Tls.OFF;
    }

    private static Backend.Balance balance(Section s, Backend.Balance standard) {
        return s.has("balance") ? s.oneOf("balance", Backend.Balance.class) : standard;
    }

    private static Backend.ProxyProtocol proxyProtocol(Section s) {
        return s.has("proxy-protocol") ? s.oneOf("proxy-protocol", Backend.ProxyProtocol.class) : Backend.ProxyProtocol.OFF;
    }

    private static int port(Section s, int standard) {
        return s.has("port") ? s.integer("port", 1, 65535) : standard;
    }
}
