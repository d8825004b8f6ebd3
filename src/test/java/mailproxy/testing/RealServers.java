package mailproxy.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real Dovecot and Postfix for the JUnit suite: one of each per test JVM, started on first
 * use and stopped by a shutdown hook. Each start gets a fresh directory under
 * /tmp/mailproxy-realservers, free 127.0.0.1 ports and its own instance name, so parallel
 * test JVMs do not meet; servers left by a killed JVM are stopped by the next start.
 *
 * <pre>{@code
 * RealDovecot d = RealServers.dovecot();        // IMAP, POP3, LMTP, users bob/alice/carol
 * RealPostfix p = RealServers.postfix();        // SMTP + SASL via d, delivers to d
 * RealDovecot t = RealServers.tlsDovecot();     // a second Dovecot with ssl = required
 * }</pre>
 *
 * Needs root (Dovecot drops to its users, Postfix must be started by root). Missing packages
 * are installed by src/test/sh/install-servers.sh. {@code -Dmailproxy.realservers.keep=true}
 * keeps the directories (configs, logs) after the JVM exits.
 */
public final class RealServers {
    private static final Logger LOG = LoggerFactory.getLogger(RealServers.class);
    private static final ReentrantLock LOCK = new ReentrantLock();
    private static final String INSTALL_SCRIPT = "src/test/sh/install-servers.sh";
    private static final List<String> REQUIRED = List.of("/usr/sbin/dovecot",
            "/usr/lib/dovecot/imap", "/usr/lib/dovecot/pop3", "/usr/lib/dovecot/lmtp",
            "/usr/sbin/postfix", "/usr/lib/postfix/sbin/master", "/usr/bin/swaks", "/usr/bin/openssl");

    private static boolean prepared;
    private static final Shared<RealDovecot> DOVECOT = new Shared<>("Dovecot", () -> {
        prepare();
        return RealDovecot.start(false);
    });
    private static final Shared<RealDovecot> TLS_DOVECOT = new Shared<>("TLS Dovecot", () -> {
        prepare();
        return RealDovecot.start(true);
    });
    private static final Shared<RealPostfix> POSTFIX = new Shared<>("Postfix", () -> RealPostfix.start(dovecot()));

    private RealServers() {}

    /** The shared Dovecot without TLS (started on first call). */
    public static RealDovecot dovecot() {
        return DOVECOT.get();
    }

    /**
     * A second Dovecot with {@code ssl = required} and a fresh self-signed certificate
     * ({@link RealDovecot#tlsCertificate()}, {@link RealDovecot#trustingSslContext()}):
     * STARTTLS/STLS on the plain ports, implicit TLS on {@link RealDovecot#imapsPort()} and
     * {@link RealDovecot#pop3sPort()}. Same users and seeded mail. Loopback counts as secured
     * for Dovecot, so check the Login log line for {@code TLS} (see {@link RealDovecot#tls()}).
     */
    public static RealDovecot tlsDovecot() {
        return TLS_DOVECOT.get();
    }

    /** The shared Postfix, authenticating against and delivering to {@link #dovecot()}. */
    public static RealPostfix postfix() {
        return POSTFIX.get();
    }

    /** How a server is started (it may fail). */
    @FunctionalInterface
    interface Start<T> {
        T start() throws IOException;
    }

    /**
     * One server per JVM, started on first use under the lock. A failed start is not
     * retried by every later test: they fail fast with the cause.
     */
    private static final class Shared<T> {
        private final String what;
        private final Start<T> start;
        // volatile: the shutdown hook reads it without the lock (a start may hold it)
        private volatile T server;
        private RuntimeException failure;

        Shared(String what, Start<T> start) {
            this.what = what;
            this.start = start;
        }

        T get() {
            LOCK.lock();
            try {
                if (server == null) {
                    if (failure != null) {
                        throw new IllegalStateException("failed earlier in this JVM: " + failure.getMessage(), failure);
                    }
                    try {
                        server = start.start();
                    } catch (IOException | RuntimeException e) {
                        failure = new IllegalStateException("cannot start the fixture " + what, e);
                        throw failure;
                    }
                }
                return server;
            } finally {
                LOCK.unlock();
            }
        }

        /** The server if it was started, else null. */
        T started() {
            return server;
        }
    }

    /**
     * Starts a server on fresh ports, up to three times: another process may take a free
     * port before the server binds it. An attempt that fails cleans up after itself.
     */
    static <T> T startWithRetries(String what, Start<T> attempt) throws IOException {
        IOException failure = null;
        for (int i = 1; i <= 3; i++) {
            try {
                return attempt.start();
            } catch (IOException e) {
                LOG.warn("{} start attempt {} failed: {}", what, i, e.getMessage());
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        throw failure;
    }

    /** Once per JVM: install what is missing, clean up after killed JVMs, add the hook. */
    private static void prepare() throws IOException {
        if (prepared) {
            return;
        }
        // /proc/self belongs to this process's effective user.
        if (!Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))) {
            throw new IOException("the real Dovecot/Postfix fixtures need root (as on CI)");
        }
        install();
        InstanceDir.reapStale();
        Runtime.getRuntime().addShutdownHook(new Thread(RealServers::stopAll, "real-servers-stop"));
        prepared = true;
    }

    /**
     * Makes sure a tool the tests run is installed (promtool, systemd-analyze, setpriv: the
     * tests of config/), running src/test/sh/install-servers.sh when it is missing.
     */
    public static void requireTool(String binary) throws IOException {
        LOCK.lock();
        try {
            if (!Files.isExecutable(Path.of(binary))) runInstallScript();
        } finally {
            LOCK.unlock();
        }
        if (!Files.isExecutable(Path.of(binary))) throw new IOException(INSTALL_SCRIPT + " did not install " + binary);
    }

    private static void install() throws IOException {
        boolean missing = REQUIRED.stream().anyMatch(f -> !Files.isExecutable(Path.of(f)));
        if (!missing) {
            try {
                Procs.output(Duration.ofSeconds(10), "id", "-u", RealDovecot.MAIL_USER);
                return;
            } catch (IOException noUser) {
                // fall through: the script creates the user
            }
        }
        runInstallScript();
    }

    private static void runInstallScript() throws IOException {
        Path script = null;
        // Surefire runs in the project dir; an IDE may use a subfolder: look upwards too.
        for (Path d = Path.of(System.getProperty("user.dir")).toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve(INSTALL_SCRIPT))) {
                script = d.resolve(INSTALL_SCRIPT);
                break;
            }
        }
        if (script == null) {
            throw new IOException("a test tool is missing and no " + INSTALL_SCRIPT + " above "
                    + System.getProperty("user.dir"));
        }
        Path out = Files.createTempFile("mailproxy-install-servers", ".log");
        LOG.info("installing what the tests need with {} (output in {})", script, out);
        int exit = Procs.run(out, Duration.ofMinutes(20), "sh", script.toString());
        if (exit != 0) {
            throw new IOException(script + " exited " + exit + ":\n" + Files.readString(out));
        }
    }

    /** Stops all servers in parallel (Dovecot takes about a second to exit). */
    private static void stopAll() {
        boolean keep = Boolean.getBoolean("mailproxy.realservers.keep");
        List<Thread> stops = new ArrayList<>();
        RealPostfix p = POSTFIX.started();
        if (p != null) {
            stops.add(Thread.ofPlatform().start(() -> p.stop(keep)));
        }
        for (RealDovecot d : new RealDovecot[] {DOVECOT.started(), TLS_DOVECOT.started()}) {
            if (d != null) {
                stops.add(Thread.ofPlatform().start(() -> d.stop(keep)));
            }
        }
        for (Thread t : stops) {
            try {
                t.join(Duration.ofSeconds(15));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
