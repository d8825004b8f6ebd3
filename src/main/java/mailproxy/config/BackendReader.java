package mailproxy.config;

import java.util.LinkedHashMap;
import java.util.Map;
import mailproxy.tls.TlsClient;

/** mailproxy.backends: named servers with a section per protocol they serve. */
final class BackendReader {
    private BackendReader() {}

    static Map<String, Backend> read(Section m) {
        Section all = m.section("backends");
        Map<String, Backend> out = new LinkedHashMap<>();
        for (String name : m.entries("backends").keySet()) {
            Section b = all.section(name);
            String host = b.string("host");
            Backend.Imap imap = null;
            Backend.Pop3 pop3 = null;
            Backend.Smtp smtp = null;
            Section s = b.optionalSection("imap");
            if (s != null) {
                imap = new Backend.Imap(port(s, 143), s.has("login") ? s.oneOf("login", Backend.ImapLogin.class)
                        : Backend.ImapLogin.LOGIN, s.has("send-id") && s.bool("send-id"), tls(s));
                s.rejectUnknownKeys();
            }
            s = b.optionalSection("pop3");
            if (s != null) {
                pop3 = new Backend.Pop3(port(s, 110), s.has("login") ? s.oneOf("login", Backend.Pop3Login.class)
                        : Backend.Pop3Login.USER, s.has("xclient") && s.bool("xclient"), tls(s));
                s.rejectUnknownKeys();
            }
            s = b.optionalSection("smtp");
            if (s != null) {
                smtp = new Backend.Smtp(port(s, 25), s.has("auth") ? s.oneOf("auth", Backend.SmtpAuth.class)
                        : Backend.SmtpAuth.NONE, s.has("xclient") && s.bool("xclient"), tls(s));
                s.rejectUnknownKeys();
            }
            if (imap == null && pop3 == null && smtp == null) {
                throw all.error(name, "a backend needs at least one of imap { }, pop3 { }, smtp { }");
            }
            boolean usesTls = (imap != null && imap.tls() != Backend.Tls.OFF)
                    || (pop3 != null && pop3.tls() != Backend.Tls.OFF)
                    || (smtp != null && smtp.tls() != Backend.Tls.OFF);
            TlsClient tlsClient = TlsReader.backend(b, host, usesTls);
            b.rejectUnknownKeys();
            out.put(name, new Backend(name, host, imap, pop3, smtp, tlsClient));
        }
        return out;
    }

    private static Backend.Tls tls(Section s) {
        return s.has("tls") ? s.oneOf("tls", Backend.Tls.class) : Backend.Tls.OFF;
    }

    private static int port(Section s, int standard) {
        return s.has("port") ? s.integer("port", 1, 65535) : standard;
    }
}
