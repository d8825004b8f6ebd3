package mailproxy.tlsproxy;

import java.io.IOException;
import java.util.Map;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.SiteCertificates;
import mailproxy.testing.TestProxy;

/**
 * One scripted backend per protocol the proxy speaks to a backend, each configured with
 * {@code tls = starttls} (the site's CA, server name localhost), behind one proxy with a
 * listener per protocol, named after it: the stage of the tests of the proxy's own
 * STARTTLS towards a backend.
 */
final class StartTlsBackends implements AutoCloseable {
    private static final SiteCertificates certs = SiteCertificates.shared();
    private static final String[] PROTOCOLS = {"imap", "pop3", "smtp", "sieve", "lmtp"};

    private final Map<String, ScriptedServer> backends;
    private final TestProxy proxy;

    private StartTlsBackends(Map<String, ScriptedServer> backends, TestProxy proxy) {
        this.backends = backends;
        this.proxy = proxy;
    }

    /** The proxy in front of these backends; they are closed with it. */
    static StartTlsBackends start(ScriptedServer imap, ScriptedServer pop3, ScriptedServer smtp,
                                  ScriptedServer sieve, ScriptedServer lmtp) throws Exception {
        String tls = "host = \"127.0.0.1\", tls-ca = \"" + certs.caCert + "\", tls-server-name = localhost";
        TestProxy proxy = TestProxy.start("""
                mailproxy {
                  backends {
                    b { %s, imap { port = %d, tls = starttls }, pop3 { port = %d, tls = starttls },
                        smtp { port = %d, tls = starttls, auth = plain }, sieve { port = %d, tls = starttls },
                        lmtp { port = %d, tls = starttls } }
                  }
                  routers { r { type = static, default = b } }
                  default-router = r
                  listeners = [
                    { name = imap, protocol = imap, listen = "127.0.0.1:0" }
                    { name = pop3, protocol = pop3, listen = "127.0.0.1:0" }
                    { name = smtp, protocol = smtp, listen = "127.0.0.1:0" }
                    { name = sieve, protocol = sieve, listen = "127.0.0.1:0" }
                    { name = lmtp, protocol = lmtp, listen = "127.0.0.1:0" }
                  ]
                }
                """.formatted(tls, imap.port(), pop3.port(), smtp.port(), sieve.port(), lmtp.port()));
        return new StartTlsBackends(Map.of("imap", imap, "pop3", pop3, "smtp", smtp, "sieve", sieve, "lmtp", lmtp), proxy);
    }

    ScriptedServer backend(String protocol) { return backends.get(protocol); }

    /**
     * Plays {@code transcript} on a new client of {@code protocol}'s listener, after what
     * comes before a login: nothing for IMAP and POP3 (the transcript has the greeting),
     * the greeting and EHLO for SMTP, the capabilities for ManageSieve; for LMTP, whose
     * recipients are its logins, the greeting, LHLO and the sender, MAIL FROM:<sender@example.test>.
     * Returns how many connections the protocol's backend had taken before.
     */
    int play(String protocol, String transcript) throws IOException {
        int before = backend(protocol).accepted();
        try (RawClient c = RawClient.connect(proxy.port(protocol))) {
            switch (protocol) {
                case "smtp" -> hello(c, "EHLO client.example");
                case "lmtp" -> {
                    hello(c, "LHLO mta.example.test");
                    c.transcript("""
                            C: MAIL FROM:<sender@example.test>
                            S: 250...
                            """);
                }
                case "sieve" -> {
                    for (String l = c.readLine(); !l.startsWith("OK"); l = c.readLine()) {
                        // the proxy's capabilities
                    }
                }
                default -> { }
            }
            c.transcript(transcript);
        }
        return before;
    }

    private static void hello(RawClient c, String hello) throws IOException {
        c.expect("220 ");
        c.line(hello);
        c.smtpReply();
    }

    @Override
    public void close() throws IOException {
        proxy.close();
        for (String p : PROTOCOLS) backends.get(p).close();
    }
}
