package mailproxy.tlsproxy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.SiteCertificates;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What the TLS proxy tests start once per class, as a JUnit extension: the site's
 * certificates, and a proxy with TLS listeners made from them, in front of fake backends
 * for IMAP, POP3, SMTP, ManageSieve and LMTP ({@link #withFakeBackends}) or real servers
 * ({@link #withConfig}).
 *
 * <pre>{@code
 * @RegisterExtension
 * static final TlsFixture f = TlsFixture.withFakeBackends(certs -> "listeners = [ ... ]");
 * }</pre>
 */
final class TlsFixture implements BeforeAllCallback, AfterAllCallback {
    private final boolean fakes;
    private final Function<SiteCertificates, String> config;
    final SiteCertificates certs = SiteCertificates.shared();
    /** The fake backends behind backend "store" (null in front of real servers). */
    FakeBackend imap;
    FakeBackend pop3;
    FakeBackend smtp;
    /** A ManageSieve backend: its capabilities, then it records an AUTHENTICATE line, says OK and hangs up. */
    ScriptedServer sieve;
    /** The AUTHENTICATE lines the sieve backend saw. */
    final List<String> sieveLogins = new CopyOnWriteArrayList<>();
    /** An LMTP backend: its greeting, then 250 to every line until QUIT. */
    ScriptedServer lmtp;
    TestProxy proxy;

    private TlsFixture(boolean fakes, Function<SiteCertificates, String> config) {
        this.fakes = fakes;
        this.config = config;
    }

    /**
     * Fake IMAP, POP3, SMTP, ManageSieve and LMTP backends (SMTP with AUTH PLAIN) as backend "store", the
     * static router "r" sending everyone there as the default router, and {@code body}:
     * the rest of the mailproxy block (limits, listeners), written with the certificates.
     */
    static TlsFixture withFakeBackends(Function<SiteCertificates, String> body) {
        return new TlsFixture(true, body);
    }

    /** A proxy from a whole config written with the certificates, in front of real servers. */
    static TlsFixture withConfig(Function<SiteCertificates, String> config) {
        return new TlsFixture(false, config);
    }

    /**
     * Listeners on 127.0.0.1, one per protocol (imap, pop3, smtp): named by
     * {@code nameFormat} with the protocol ("%s-on" makes imap-on, pop3-on, smtp-on), with
     * these listener keys; HOCON, one a line.
     */
    static String perProtocol(String nameFormat, String keys) {
        return Stream.of("imap", "pop3", "smtp")
                .map(p -> "{ name = %s, protocol = %s, listen = \"127.0.0.1:0\"%s }\n"
                        .formatted(nameFormat.formatted(p), p, keys.isEmpty() ? "" : ", " + keys))
                .collect(Collectors.joining());
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        if (!fakes) {
            proxy = TestProxy.start(config.apply(certs));
            return;
        }
        imap = FakeBackends.imap().start();
        pop3 = FakeBackends.pop3().start();
        smtp = FakeBackends.smtp().start();
        sieve = new ScriptedServer(peer -> {
            peer.send("\"IMPLEMENTATION\" \"fake\"\r\n\"SASL\" \"PLAIN\"\r\n\"VERSION\" \"1.0\"\r\nOK \"ready\"\r\n");
            String auth = peer.readLine();
            if (auth == null) return;
            sieveLogins.add(auth);
            peer.line("OK \"Logged in.\"");
        });
        lmtp = new ScriptedServer(peer -> {
            peer.line("220 fake LMTP");
            for (String l = peer.readLine(); l != null && !l.equalsIgnoreCase("QUIT"); l = peer.readLine()) peer.line("250 ok");
        });
        proxy = TestProxy.start("""
                mailproxy {
                  backends { store { host = "127.0.0.1", imap { port = %d }, pop3 { port = %d },
                                     smtp { port = %d, auth = plain }, sieve { port = %d }, lmtp { port = %d } } }
                  routers { r { type = static, default = store } }
                  default-router = r
                  %s
                }
                """.formatted(imap.port(), pop3.port(), smtp.port(), sieve.port(), lmtp.port(),
                        config.apply(certs)));
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (proxy != null) proxy.close();
        for (FakeBackend b : fakes()) b.close();
        if (sieve != null) sieve.close();
        if (lmtp != null) lmtp.close();
    }

    private List<FakeBackend> fakes() {
        return imap == null ? List.of() : List.of(imap, pop3, smtp);
    }

    int port(String listener) { return proxy.port(listener); }

    /** Whether every session ended within 5 s. */
    boolean noSessionsLeft() {
        return proxy.noSessionsWithin(Duration.ofSeconds(5));
    }

    /** Connections the fake backends accepted so far, all four together. */
    int backendConnections() {
        return fakes().stream().mapToInt(FakeBackend::accepted).sum()
                + (sieve == null ? 0 : sieve.accepted() + lmtp.accepted());
    }

    /** Connections the fake backend of a protocol ("imap", "pop3", "smtp", "sieve" or "lmtp") accepted so far. */
    int accepted(String protocol) {
        return switch (protocol) {
            case "sieve" -> sieve.accepted();
            case "lmtp" -> lmtp.accepted();
            default -> backend(protocol).accepted();
        };
    }

    /** Forgets the logins the fakes saw so far. */
    void clearLogins() {
        for (FakeBackend b : fakes()) b.logins().clear();
        sieveLogins.clear();
    }

    /** Asserts that no fake saw a login since {@link #clearLogins()}. */
    void assertNoLogins() {
        for (FakeBackend b : fakes()) assertTrue(b.logins().isEmpty(), b.logins().toString());
        assertTrue(sieveLogins.isEmpty(), sieveLogins.toString());
    }

    /** The fake backend of a protocol: "imap", "pop3" or "smtp". */
    FakeBackend backend(String protocol) {
        return switch (protocol) {
            case "imap" -> imap;
            case "pop3" -> pop3;
            default -> smtp;
        };
    }
}
