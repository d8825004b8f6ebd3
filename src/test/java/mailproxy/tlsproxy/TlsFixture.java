package mailproxy.tlsproxy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.SiteCertificates;
import mailproxy.testing.TestProxy;

/**
 * What the TLS proxy tests start once per class: the site's certificates, and a proxy
 * with TLS listeners made from them, in front of fake backends for the three protocols
 * ({@link #withFakeBackends}) or real servers ({@link #withConfig}).
 */
final class TlsFixture implements AutoCloseable {
    final SiteCertificates certs;
    /** The fake backends behind backend "store" (null in front of real servers). */
    final FakeBackend imap;
    final FakeBackend pop3;
    final FakeBackend smtp;
    final TestProxy proxy;

    private TlsFixture(SiteCertificates certs, List<FakeBackend> fakes, String config) throws Exception {
        this.certs = certs;
        this.imap = fakes.isEmpty() ? null : fakes.get(0);
        this.pop3 = fakes.isEmpty() ? null : fakes.get(1);
        this.smtp = fakes.isEmpty() ? null : fakes.get(2);
        this.proxy = TestProxy.start(config);
    }

    /**
     * Fake IMAP, POP3 and SMTP backends (SMTP with AUTH PLAIN) as backend "store", the
     * static router "r" sending everyone there as the default router, and {@code body}:
     * the rest of the mailproxy block (limits, listeners), written with the certificates.
     */
    static TlsFixture withFakeBackends(Path dir, Function<SiteCertificates, String> body) throws Exception {
        SiteCertificates certs = SiteCertificates.create(dir);
        List<FakeBackend> fakes = List.of(FakeBackends.imap().start(), FakeBackends.pop3().start(),
                FakeBackends.smtp().start());
        return new TlsFixture(certs, fakes, """
                mailproxy {
                  backends { store { host = "127.0.0.1", imap { port = %d }, pop3 { port = %d },
                                     smtp { port = %d, auth = plain } } }
                  routers { r { type = static, default = store } }
                  default-router = r
                  %s
                }
                """.formatted(fakes.get(0).port(), fakes.get(1).port(), fakes.get(2).port(), body.apply(certs)));
    }

    /** A proxy from a whole config written with the certificates, in front of real servers. */
    static TlsFixture withConfig(Path dir, Function<SiteCertificates, String> config) throws Exception {
        SiteCertificates certs = SiteCertificates.create(dir);
        return new TlsFixture(certs, List.of(), config.apply(certs));
    }

    int port(String listener) { return proxy.port(listener); }

    /** Whether every session ended within 5 s. */
    boolean noSessionsLeft() {
        return proxy.noSessionsWithin(Duration.ofSeconds(5));
    }

    /** Connections the fake backends accepted so far, all three together. */
    int backendConnections() {
        return imap.accepted() + pop3.accepted() + smtp.accepted();
    }

    /** Forgets the logins the fakes saw so far. */
    void clearLogins() {
        for (FakeBackend b : List.of(imap, pop3, smtp)) b.logins().clear();
    }

    /** Asserts that no fake saw a login since {@link #clearLogins()}. */
    void assertNoLogins() {
        for (FakeBackend b : List.of(imap, pop3, smtp)) assertTrue(b.logins().isEmpty(), b.logins().toString());
    }

    @Override
    public void close() throws Exception {
        proxy.close();
        if (imap != null) {
            for (FakeBackend b : List.of(imap, pop3, smtp)) b.close();
        }
    }
}
