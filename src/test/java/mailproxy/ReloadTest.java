package mailproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import mailproxy.config.ConfigLoader;
import mailproxy.server.ProxyServer;
import mailproxy.testing.Await;
import mailproxy.testing.FreePorts;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealDovecot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloading the config without a restart (docs/ARCHITECTURE.md, "Reloading"), under load:
 * a bounded loop of logins runs while a server is added to the pool, another removed, and
 * a broken file refused; no login fails, and a session relayed before all that goes on.
 * The pool balances round-robin: where it balances by user-hash, a reload that removes a
 * server kicks the sessions on it instead, so that no user is on two servers (README,
 * "Moving users"; pool.MoveDovecotTest).
 */
@Timeout(180)
class ReloadTest {
    private static RealDovecot one;
    private static RealDovecot two;

    @BeforeAll
    static void servers() throws IOException {
        one = RealDovecot.startExtra("");
        two = RealDovecot.startExtra("");
    }

    @AfterAll
    static void stop() {
        if (one != null) one.close();
        if (two != null) two.close();
    }

    private static String config(int pop3, int imap, String servers, String extraListener) {
        return """
                mailproxy {
                  drain-timeout = 1s
                  guard { max-connections-per-ip = 0, auth-delay = 0s, block-after = 0 }
                  backends { stores {
                    servers = [ %s ]
                    pop3 { port = 110, balance = round-robin }
                    imap { port = 143, balance = round-robin }
                  } }
                  routers { r { type = static, default = stores } }
                  listeners = [ { name = pop3, protocol = pop3, listen = "127.0.0.1:%d" },
                                { name = imap, protocol = imap, listen = "127.0.0.1:%d" } %s ]
                }
                """.formatted(servers, pop3, imap, extraListener);
    }

    private static String server(RealDovecot d) {
        return "{ host = \"127.0.0.1\", pop3-port = %d, imap-port = %d }".formatted(d.pop3Port(), d.imapPort());
    }

    private static boolean popLogin(int port) {
        try (RawClient c = RawClient.connect(port)) {
            c.expect("+OK");
            c.line("USER bob");
            c.expect("+OK");
            c.line("PASS secret");
            c.expect("+OK");
            c.line("QUIT");
            c.expect("+OK");
            return true;
        } catch (IOException | AssertionError e) {
            return false;
        }
    }

    @Test
    void addRemoveAndABrokenFileUnderLoadLoseNoSessionAndLeaveRelaysAlone(@TempDir Path dir) throws Exception {
        int[] ports = FreePorts.allocate(3);
        int pop3 = ports[0];
        int imap = ports[1];
        Path file = dir.resolve("mailproxy.conf");
        Files.writeString(file, config(pop3, imap, server(one), ""));
        try (LogCapture log = new LogCapture(); ProxyServer proxy = ProxyServer.start(ConfigLoader.load(file));
             RawClient relayed = RawClient.connect(imap)) {
            relayed.expect("* OK");
            relayed.line("a LOGIN bob secret");
            relayed.expect("a OK");
            relayed.line("b SELECT INBOX");
            String exists = relayed.expect("* ");
            while (!relayed.readLine().startsWith("b OK")) { /* the rest of SELECT */ }

            // the load: sequential logins, bounded in count, until the reloads are done
            AtomicBoolean done = new AtomicBoolean();
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 2000 && !done.get(); i++) {
                    if (popLogin(pop3)) ok.incrementAndGet();
                    else failed.incrementAndGet();
                }
            }, r -> Thread.ofVirtual().start(r));

            loadRuns(ok, failed);
            Files.writeString(file, config(pop3, imap, server(one) + ", " + server(two), ""));
            assertTrue(Reloader.reload(file, proxy, "test"), "a server added");
            loadRuns(ok, failed);
            Files.writeString(file, config(pop3, imap, server(two), ""));
            assertTrue(Reloader.reload(file, proxy, "test"), "a server removed");
            loadRuns(ok, failed);
            Files.writeString(file, config(pop3, imap, server(two), "").replace("drain-timeout", "drain-timeuot"));
            assertFalse(Reloader.reload(file, proxy, "test"), "a broken file is refused");
            log.awaitLine(Duration.ofSeconds(5), "reload refused", file + ":", "mailproxy.drain-timeuot");
            loadRuns(ok, failed);
            done.set(true);
            load.get(60, TimeUnit.SECONDS);

            assertEquals(0, failed.get(), "failed logins during the reloads (" + ok.get() + " ok)");
            assertTrue(ok.get() > 4, "the load ran: " + ok.get());
            // after the removal, new sessions only go to the server that is left
            int mark = log.text().length();
            assertTrue(popLogin(pop3));
            Await.until(Duration.ofSeconds(5), () -> log.text().substring(mark).contains("pop3 id="));
            String newest = log.text().substring(mark);
            assertTrue(newest.contains("backend=127.0.0.1:" + two.pop3Port()), newest);
            // the session relayed since before the first reload still works, on its server
            relayed.line("c NOOP");
            relayed.expect("c OK");
            relayed.line("d FETCH 1 (FLAGS)");
            relayed.expect("* 1 FETCH");
            relayed.expect("d OK");
            assertTrue(exists.length() > 2);
        }
    }

    /** Waits (bounded) until the load has made a few more logins: each stage of the reloads sees some. */
    private static void loadRuns(AtomicInteger ok, AtomicInteger failed) {
        int before = ok.get() + failed.get();
        Await.until(Duration.ofSeconds(10), () -> ok.get() + failed.get() >= before + 3);
    }

    private static boolean refusedWithin(int port, Duration d) throws InterruptedException {
        return Await.until(d, () -> {
            try (RawClient c = RawClient.connect(port)) {
                return false;
            } catch (IOException refused) {
                return true;
            }
        });
    }

    @Test
    void listenersAreAddedAndRemovedAndAnUnchangedOneKeepsItsSocket(@TempDir Path dir) throws Exception {
        int[] ports = FreePorts.allocate(3);
        Path file = dir.resolve("mailproxy.conf");
        Files.writeString(file, config(ports[0], ports[1], server(one), ""));
        try (ProxyServer proxy = ProxyServer.start(ConfigLoader.load(file))) {
            RawClient before = RawClient.connect(ports[0]);
            before.expect("+OK");
            String extra = ", { name = pop3b, protocol = pop3, listen = \"127.0.0.1:%d\" }".formatted(ports[2]);
            Files.writeString(file, config(ports[0], ports[1], server(one), extra));
            assertTrue(Reloader.reload(file, proxy, "test"));
            try (RawClient added = RawClient.connect(ports[2])) {
                added.expect("+OK");
            }
            // the unchanged listener's socket and its open session are untouched
            before.line("NOOP");
            before.expect("+OK");
            before.close();
            Files.writeString(file, config(ports[0], ports[1], server(one), ""));
            assertTrue(Reloader.reload(file, proxy, "test"));
            // the socket's file descriptor is released once its accepting thread has woken
            assertTrue(refusedWithin(ports[2], Duration.ofSeconds(5)), "the removed listener still accepts");
            try (RawClient still = RawClient.connect(ports[0])) {
                still.expect("+OK");
            }
        }
    }
}
