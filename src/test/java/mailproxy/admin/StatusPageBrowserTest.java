package mailproxy.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import mailproxy.testing.Await;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealDovecot;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

/**
 * The status page (README, "Admin listener: metrics, health, sessions") in a real browser: Debian's chromium, headless,
 * through its own chromedriver (installed with the servers by src/test/sh/install-servers.sh;
 * named here, so Selenium Manager downloads nothing), against a proxy with a pool of two real
 * Dovecots. The page shows both up, a killed one down within its health checks, its drain
 * button drains it (as /pools says), a user name with markup stays text, the close button
 * ends that user's session, and the browser logs no error (the CSP refuses nothing the page needs).
 */
@Timeout(180)
class StatusPageBrowserTest {
    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    /** Chosen by the client: the page must show it, never run it. */
    private static final String EVIL_USER = "<script>window.pwned=1</script><img src=x onerror=window.pwned=2>";
    private static final String EVIL_PASSWORD = "status-page-pw";
    private static final String TOKEN = AdminSecurityTest.TOKEN;

    /**
     * Selenium looks for a DevTools module matching the browser and warns when there is none;
     * the test uses WebDriver only. Held here, since java.util.logging keeps loggers weakly.
     */
    private static final java.util.logging.Logger CDP_LOG = java.util.logging.Logger.getLogger("org.openqa.selenium.devtools");

    private static RealDovecot one;
    private static RealDovecot two;

    @BeforeAll
    static void servers() throws Exception {
        one = RealDovecot.startExtra(""); // installs chromium too when missing (install-servers.sh)
        two = RealDovecot.startExtra("");
    }

    @AfterAll
    static void stop() {
        if (one != null) one.close();
        if (two != null) two.close();
    }

    private static ChromeDriver browser(Path profile) {
        CDP_LOG.setLevel(Level.SEVERE);
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM);
        o.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1000", "--user-data-dir=" + profile);
        o.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
        ChromeDriverService driver = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        return new ChromeDriver(driver, o);
    }

    /** Read in one script: the page replaces its tables on every refresh, so an element found before may be gone. */
    private static String rowState(ChromeDriver b, String server) {
        return (String) b.executeScript("const r = document.querySelector(arguments[0]); return r ? r.dataset.state : null;",
                "#pools tr[data-server='" + server + "'][data-protocol='imap']");
    }

    /** Clicks that server's drain/undrain button, again if a refresh replaced it between finding and clicking. */
    private static void clickButtonOf(ChromeDriver b, String server) {
        Await.until(Duration.ofSeconds(10), "the button of " + server, () -> {
            try {
                b.findElement(By.cssSelector("#pools button[data-server='" + server + "']")).click();
                return true;
            } catch (StaleElementReferenceException | NoSuchElementException e) {
                return false;
            }
        });
    }

    @Test
    void theOperatorSeesThePoolsDrainsAKilledServerAndClosesAUser() throws Exception {
        String idOne = "127.0.0.1:" + one.imapPort();
        String idTwo = "127.0.0.1:" + two.imapPort();
        Path profile = Files.createTempDirectory("mailproxy-chromium");
        try (FakeBackend fake = FakeBackends.imap().accept(EVIL_USER, EVIL_PASSWORD).start();
             TestProxy proxy = TestProxy.start("""
                     mailproxy {
                       admin { listen = "127.0.0.1:0" }
                       limits { greeting-timeout = 1s, connect-timeout = 1s }
                       backends {
                         stores {
                           servers = [ { host = "127.0.0.1", imap-port = %d }, { host = "127.0.0.1", imap-port = %d } ]
                           imap { port = 143 }
                           health { interval = 300ms, rise = 1, fall = 1, timeout = 1s }
                         }
                         fake { host = "127.0.0.1", imap { port = %d } }
                       }
                       routers { r { type = static, default = stores }, f { type = static, default = fake } }
                       listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0", router = r },
                                     { name = imap-fake, protocol = imap, listen = "127.0.0.1:0", router = f } ]
                     }""".formatted(one.imapPort(), two.imapPort(), fake.port()));
             AdminServer admin = AdminServer.start(proxy.config().admin(), proxy::server, () -> true);
             RawClient user = RawClient.connect(proxy.port("imap-fake"))) {
            user.expect("* OK");
            user.exchange("a LOGIN \"" + EVIL_USER.replace("\"", "\\\"") + "\" " + EVIL_PASSWORD, "a OK");
            ChromeDriver b = browser(profile);
            try {
                b.get("http://127.0.0.1:" + admin.address().getPort() + "/");

                // both Dovecots up
                Await.until(Duration.ofSeconds(10), "both servers up on the page",
                        () -> "up".equals(rowState(b, idOne)) && "up".equals(rowState(b, idTwo)));

                // the user name is text in the sessions table; nothing of it ran
                Await.until(Duration.ofSeconds(10), "the session on the page",
                        () -> (Boolean) b.executeScript("return [...document.querySelectorAll('#sessions tbody td')]"
                                + ".some(td => td.textContent === arguments[0]);", EVIL_USER));
                assertEquals(null, ((JavascriptExecutor) b).executeScript("return window.pwned === undefined ? null : window.pwned"));
                assertTrue(b.findElements(By.cssSelector("#sessions img, #sessions script")).isEmpty(), "markup from a user name");

                // killed: down on the page within a few health intervals (300 ms, fall 1) and page refreshes (2 s)
                one.kill();
                Await.until(Duration.ofSeconds(10), "the killed server down on the page", () -> "down".equals(rowState(b, idOne)));
                assertEquals("up", rowState(b, idTwo));

                // the drain button drains it, as /pools says; the same button then undrains it
                clickButtonOf(b, idOne);
                Await.until(Duration.ofSeconds(10), "drained in /pools", () -> pools(admin).contains(one.imapPort() + " DOWN imap DRAINING"));
                Await.until(Duration.ofSeconds(10), "draining on the page", () -> "draining".equals(rowState(b, idOne)));
                clickButtonOf(b, idOne);
                Await.until(Duration.ofSeconds(10), "undrained in /pools", () -> !pools(admin).contains("DRAINING"));

                // close the user's sessions from the page
                b.findElement(By.id("close-user")).sendKeys(EVIL_USER);
                b.findElement(By.cssSelector("#close-form button")).click();
                Await.until(Duration.ofSeconds(10), "the user's session closed", () -> proxy.activeSessions() == 0);
                Await.until(Duration.ofSeconds(10), "the page says so", () -> "200: closed 1 sessions".equals(
                        b.executeScript("return document.getElementById('action').textContent;")));

                Path shot = Path.of("target", "status-page.png");
                Files.createDirectories(shot.getParent());
                Files.write(shot, b.getScreenshotAs(OutputType.BYTES));

                List<LogEntry> errors = b.manage().logs().get(LogType.BROWSER).getAll().stream()
                        .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue()).toList();
                assertTrue(errors.isEmpty(), "browser console: " + errors);
                assertFalse(b.getPageSource().contains("cannot reach the proxy: "), "the page lost the proxy");
            } finally {
                b.quit();
            }
        } finally {
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * With admin.token-file the page loads without the token (its files hold no data), asks
     * for it, says so when it is wrong, and with the right one shows the pools and drains: a
     * POST that the listener takes only with the token (the header alone is not enough then).
     */
    @Test
    void withATokenFileThePageAsksForTheTokenAndSendsIt(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path tokenFile = dir.resolve("admin-token");
        Files.writeString(tokenFile, TOKEN + "\n");
        Files.setPosixFilePermissions(tokenFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        String id = "127.0.0.1:" + two.imapPort();
        Path profile = Files.createTempDirectory("mailproxy-chromium");
        try (TestProxy proxy = TestProxy.start("""
                     mailproxy {
                       admin { listen = "127.0.0.1:0", token-file = "%s" }
                       backends {
                         stores {
                           servers = [ { host = "127.0.0.1", imap-port = %d } ]
                           imap { port = 143 }
                           health { interval = 300ms, rise = 1, fall = 1, timeout = 1s }
                         }
                       }
                       routers { r { type = static, default = stores } }
                       listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0", router = r } ]
                     }""".formatted(tokenFile, two.imapPort()));
             AdminServer admin = AdminServer.start(proxy.config().admin(), proxy::server, () -> true)) {
            ChromeDriver b = browser(profile);
            try {
                b.get("http://127.0.0.1:" + admin.address().getPort() + "/");
                Await.until(Duration.ofSeconds(10), "the page asks for the token", () -> b.findElement(By.id("token")).isDisplayed());
                assertEquals("this proxy wants its admin token", text(b, "error"));
                assertEquals(null, rowState(b, id), "no data without the token");

                b.findElement(By.id("token")).sendKeys(TOKEN + "x");
                b.findElement(By.cssSelector("#token-form button")).click();
                Await.until(Duration.ofSeconds(10), "a wrong token refused", () -> "the admin token was refused".equals(text(b, "error")));
                assertTrue(b.findElement(By.id("token")).isDisplayed());

                b.findElement(By.id("token")).sendKeys(TOKEN);
                b.findElement(By.cssSelector("#token-form button")).click();
                Await.until(Duration.ofSeconds(10), "the server up on the page", () -> "up".equals(rowState(b, id)));
                assertFalse(b.findElement(By.id("token-form")).isDisplayed());
                assertFalse(b.findElement(By.id("error")).isDisplayed());

                clickButtonOf(b, id);
                // with a token file a POST without the token is a 401: a 200 here means the page sent it
                Await.until(Duration.ofSeconds(10), "the page says it drained", () -> text(b, "action").startsWith("200: "));
                Await.until(Duration.ofSeconds(10), "draining on the page", () -> "draining".equals(rowState(b, id)));

                // the only console lines are the browser's own notes of the two 401 answers asked for above
                List<LogEntry> errors = b.manage().logs().get(LogType.BROWSER).getAll().stream()
                        .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue())
                        .filter(e -> !e.getMessage().contains("401 (Unauthorized)")).toList();
                assertTrue(errors.isEmpty(), "browser console: " + errors);
            } finally {
                b.quit();
            }
        } finally {
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String text(ChromeDriver b, String id) {
        return (String) b.executeScript("return document.getElementById(arguments[0]).textContent;", id);
    }

    private static String pools(AdminServer admin) {
        try {
            return AdminListenerTest.call(admin, "GET", "/pools").body();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
