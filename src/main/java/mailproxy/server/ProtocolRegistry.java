package mailproxy.server;

import java.io.IOException;
import java.util.EnumMap;
import java.util.Map;
import mailproxy.config.ListenerConfig;
import mailproxy.config.LmtpOptions;
import mailproxy.config.Protocol;
import mailproxy.config.ProxyConfig;
import mailproxy.imap.ImapSession;
import mailproxy.lmtp.LmtpSession;
import mailproxy.lmtp.SpoolDir;
import mailproxy.pop3.Pop3Session;
import mailproxy.session.SessionFactory;
import mailproxy.sieve.SieveSession;
import mailproxy.smtp.SmtpSession;

/**
 * The one place that knows every protocol: which session story speaks each. A new
 * protocol is a package with a {@link SessionFactory} and one line here
 * (docs/ARCHITECTURE.md, "Adding a protocol").
 */
final class ProtocolRegistry {
    private ProtocolRegistry() {}

    static Map<Protocol, SessionFactory> build() {
        Map<Protocol, SessionFactory> m = new EnumMap<>(Protocol.class);
        m.put(Protocol.IMAP, ImapSession::new);
        m.put(Protocol.POP3, Pop3Session::new);
        m.put(Protocol.SMTP, SmtpSession::new);
        m.put(Protocol.LMTP, LmtpSession::new);
        m.put(Protocol.SIEVE, SieveSession::new);
        for (Protocol p : Protocol.values()) {
            if (!m.containsKey(p)) throw new IllegalStateException("no session story for " + p);
        }
        return Map.copyOf(m);
    }

    /**
     * What a protocol needs on disk before its listeners accept: LMTP's spool directory,
     * created owner-only and cleared of a crash's leftovers (lmtp.SpoolDir). Before any
     * socket is bound, so a failure changes nothing.
     */
    static void prepare(ProxyConfig config) throws IOException {
        for (ListenerConfig l : config.listeners()) {
            if (l.protocol() != Protocol.LMTP) continue;
            try {
                SpoolDir.prepare(l.options(LmtpOptions.class).tempDir());
            } catch (IOException e) {
                throw new IOException("listener " + l.name() + ": lmtp-temp-dir " + l.options(LmtpOptions.class).tempDir() + ": " + e.getMessage(), e);
            }
        }
    }
}
