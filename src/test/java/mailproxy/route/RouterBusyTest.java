package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mailproxy.testing.Await;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A reconnect storm against an auth_http router (README, "Reconnect storms"): at most
 * max-concurrent requests reach the auth server at once, queue logins wait for one, the
 * rest get the protocol's temporary failure at once; when the auth server answers, every
 * queued login completes and nothing is left counted. The auth server here holds every
 * request until the test releases it.
 */
@Timeout(60)
class RouterBusyTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @RegisterExtension
    final AuthHttpFixture f = new AuthHttpFixture(FakeBackends.imap(), null,
            "{ name = imap, protocol = imap, listen = \"127.0.0.1:0\" }, "
                    + "{ name = pop3, protocol = pop3, listen = \"127.0.0.1:0\" }");

    private final CountDownLatch release = new CountDownLatch(1);
    /** Requests the auth server holds now, and the most it held at once. */
    private final AtomicInteger held = new AtomicInteger();
    private final AtomicInteger mostAtOnce = new AtomicInteger();
    private final List<RawClient> clients = new ArrayList<>();
    private FakeBackend pop3;
    private FakeBackend smtp;
    private LogCapture log;

    @AfterEach
    void closeClients() throws Exception {
        release.countDown();
        if (log != null) log.close();
        for (RawClient c : clients) c.close();
        if (pop3 != null) pop3.close();
        if (smtp != null) smtp.close();
    }

    /** An auth server that answers OK (to the IMAP, POP3 or SMTP fake backend) only once released. */
    private AuthServer blockingAuthServer() throws Exception {
        pop3 = FakeBackends.pop3().start();
        smtp = FakeBackends.smtp().start();
        return AuthServer.start(r -> {
            mostAtOnce.accumulateAndGet(held.incrementAndGet(), Math::max);
            try {
                if (!release.await(WAIT.toSeconds(), TimeUnit.SECONDS)) throw new IllegalStateException("never released");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                held.decrementAndGet();
            }
            FakeBackend to = switch (r.header("Auth-Protocol")) {
                case "pop3" -> pop3;
                case "smtp" -> smtp;
                default -> f.backend;
            };
            return AuthServer.ok("127.0.0.1", to.port());
        });
    }

    private void startProxy(String limit) throws Exception {
        f.auth = blockingAuthServer();
        // timeout: the auth server's answer may take as long as the test holds it
        f.startProxy(f.auth.url().toString(), "{ name = imap, protocol = imap, listen = \"127.0.0.1:0\" }, "
                + "{ name = pop3, protocol = pop3, listen = \"127.0.0.1:0\" }, "
                + "{ name = submission, protocol = smtp, listen = \"127.0.0.1:0\", auth = [plain] }", ", timeout = 30s, " + limit);
    }

    /** An IMAP client that has sent its LOGIN (tag a1) and waits for the answer. */
    private RawClient imapLogin(int i) throws Exception {
        RawClient c = RawClient.connect(f.proxy.port("imap")).timeout((int) WAIT.toMillis());
        clients.add(c);
        c.expect("* OK");
        c.line("a1 LOGIN user" + i + " secret");
        return c;
    }

    /** A POP3 client that has sent USER and PASS and waits for the answer to PASS. */
    private RawClient pop3Login(int i) throws Exception {
        RawClient c = RawClient.connect(f.proxy.port("pop3")).timeout((int) WAIT.toMillis());
        clients.add(c);
        c.expect("+OK");
        c.line("USER user" + i).expect("+OK");
        c.line("PASS secret");
        return c;
    }

    @Test
    void imapStormMaxConcurrentReachTheAuthServerQueueWaitsTheRestAreToldToComeBackLater() throws Exception {
        startProxy("max-concurrent = 2, queue = 2, queue-timeout = 30s");
        log = new LogCapture();
        RawClient first = imapLogin(1);
        RawClient second = imapLogin(2);
        Await.until(WAIT, "two requests at the auth server", () -> held.get() == 2);
        assertEquals(2, gauge("mailproxy_router_calls_in_flight"));
        RawClient third = imapLogin(3);
        RawClient fourth = imapLogin(4);
        Await.until(WAIT, "two logins queued", () -> gauge("mailproxy_router_calls_queued") == 2);
        for (int i = 5; i <= 7; i++) {
            RawClient refused = imapLogin(i);
            // RFC 5530 §3: UNAVAILABLE, "temporary failure because a subsystem is down"
            refused.expect("a1 NO [UNAVAILABLE]");
            refused.expect("* BYE");
            assertTrue(refused.closedByPeer());
        }
        assertEquals(3, counter("mailproxy_router_refused_total", "queue-full"));
        log.close();
        // said once per busy spell, not once per refused login
        assertEquals(1, log.text().split("router auth busy", -1).length - 1, log.text());
        assertEquals(0, log.text().split("WARN Login - no route", -1).length - 1, log.text());
        assertEquals(2, f.auth.requests().size(), "the queued and the refused ones never reached the auth server");

        release.countDown();
        for (RawClient c : List.of(first, second, third, fourth)) {
            c.expect("a1 OK");
            c.line("a2 LOGOUT");
            c.expect("* BYE");
        }
        assertEquals(2, mostAtOnce.get(), "never more than max-concurrent at the auth server");
        assertEquals(4, f.auth.requests().size());
        nothingLeft();
    }

    @Test
    void pop3StormTheQueueIsBoundedInLengthAndInTime() throws Exception {
        startProxy("max-concurrent = 1, queue = 1, queue-timeout = 30s");
        RawClient first = heldAtTheAuthServer(this::pop3Login);
        RawClient queued = pop3Login(2);
        Await.until(WAIT, "one login queued", () -> gauge("mailproxy_router_calls_queued") == 1);
        RawClient refused = pop3Login(3);
        // RFC 3206 §4: SYS/TEMP, "likely to be temporary"
        toldToComeBackLater(refused, "-ERR [SYS/TEMP]");
        release.countDown();
        first.expect("+OK");
        queued.expect("+OK");
        assertEquals(1, mostAtOnce.get());
        for (RawClient c : List.of(first, queued)) c.line("QUIT").expect("+OK");
        nothingLeft();
        assertEquals(1, counter("mailproxy_router_refused_total", "queue-full"));
        assertEquals(0, counter("mailproxy_router_refused_total", "queue-timeout"));
    }

    /** A submission client that has sent AUTH PLAIN and waits for the answer. */
    private RawClient smtpLogin(int i) throws Exception {
        RawClient c = RawClient.connect(f.proxy.port("submission")).timeout((int) WAIT.toMillis());
        clients.add(c);
        c.expect("220 ");
        c.line("EHLO client.example");
        for (String l = c.readLine(); l != null && l.startsWith("250-"); l = c.readLine()) { /* capabilities */ }
        c.line("AUTH PLAIN " + mailproxy.testing.Sasl.plain("user" + i, "secret"));
        return c;
    }

    @Test
    void smtpWithoutAQueueTheSecondLoginIsToldToComeBackLater() throws Exception {
        startProxy("max-concurrent = 1, queue = 0");
        RawClient first = heldAtTheAuthServer(this::smtpLogin);
        RawClient refused = smtpLogin(2);
        // the proxy's one temporary failure for SMTP: 421 closes the connection (RFC 5321 §3.8)
        toldToComeBackLater(refused, "421 4.3.0");
        release.countDown();
        first.expect("235");
        first.line("QUIT").expect("221");
        assertEquals(1, f.auth.requests().size());
        assertEquals(1, counter("mailproxy_router_refused_total", "queue-full"));
        nothingLeft();
    }

    @Test
    void pop3LoginWaitingPastTheQueueTimeoutIsToldToComeBackLater() throws Exception {
        startProxy("max-concurrent = 1, queue = 1, queue-timeout = 200ms");
        RawClient first = heldAtTheAuthServer(this::pop3Login);
        RawClient late = pop3Login(2);
        toldToComeBackLater(late, "-ERR [SYS/TEMP]");
        assertEquals(1, counter("mailproxy_router_refused_total", "queue-timeout"));
        assertEquals(1, f.auth.requests().size());
        release.countDown();
        first.expect("+OK");
        first.line("QUIT").expect("+OK");
        nothingLeft();
    }

    /** Sends a login of a client 1..n: {@link #imapLogin}, {@link #pop3Login}, {@link #smtpLogin}. */
    @FunctionalInterface
    private interface Login {
        RawClient send(int i) throws Exception;
    }

    /** Client 1's login, held at the auth server once it has arrived there (max-concurrent = 1). */
    private RawClient heldAtTheAuthServer(Login login) throws Exception {
        RawClient first = login.send(1);
        Await.until(WAIT, "one request at the auth server", () -> held.get() == 1);
        return first;
    }

    /** The protocol's temporary failure, then the proxy closes the connection. */
    private static void toldToComeBackLater(RawClient refused, String reply) throws Exception {
        refused.expect(reply);
        assertTrue(refused.closedByPeer());
    }

    /** Every session over, no call in flight or queued: nothing leaked, no thread hung. */
    private void nothingLeft() {
        assertTrue(f.proxy.noSessionsWithin(WAIT), "sessions still open");
        Await.until(WAIT, "in-flight and queued back to 0",
                () -> gauge("mailproxy_router_calls_in_flight") == 0 && gauge("mailproxy_router_calls_queued") == 0);
    }

    private double gauge(String name) {
        return sample(name + "\\{router=\"auth\"\\}");
    }

    private double counter(String name, String reason) {
        return sample(name + "\\{reason=\"" + reason + "\",router=\"auth\"\\}");
    }

    private double sample(String series) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            f.proxy.server().metrics().write(out);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(text);
        assertTrue(m.find(), series + " in\n" + text);
        return Double.parseDouble(m.group(1));
    }
}
