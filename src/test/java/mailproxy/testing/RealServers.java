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
    // volatile: the shutdown hook reads them without the lock (a start may hold it).
    private static volatile RealDovecot dovecot;
    private static volatile RealDovecot tlsDovecot;
    private static volatile RealPostfix postfix;
    /** A failed start is not retried by every later test: they fail fast with the cause. */
    private static RuntimeException dovecotFailure;
    private static RuntimeException tlsFailure;
    private static RuntimeException postfixFailure;

    private RealServers() {}

    /** The shared Dovecot without TLS (started on first call). */
    public static RealDovecot dovecot() {
        LOCK.lock();
        try {
            if (dovecot == null) {
                rethrow(dovecotFailure);
                try {
                    prepare();
                    dovecot = RealDovecot.start(false);
                } catch (IOException | RuntimeException e) {
                    dovecotFailure = new IllegalStateException("cannot start the fixture Dovecot", e);
                    throw dovecotFailure;
                }
            }
            return dovecot;
        } finally {
            LOCK.unlock();
        }
    }

    /**
     * A second Dovecot with {@code ssl = required} and a fresh self-signed certificate
     * ({@link RealDovecot#tlsCertificate()}, {@link RealDovecot#trustingSslContext()}):
     * STARTTLS/STLS on the plain ports, implicit TLS on {@link RealDovecot#imapsPort()} and
     * {@link RealDovecot#pop3sPort()}. Same users and seeded mail. Loopback counts as secured
     * for Dovecot, so check the Login log line for {@code TLS} (see {@link RealDovecot#tls()}).
     */
    public static RealDovecot tlsDovecot() {
        LOCK.lock();
        try {
            if (tlsDovecot == null) {
                rethrow(tlsFailure);
                try {
                    prepare();
                    tlsDovecot = RealDovecot.start(true);
                } catch (IOException | RuntimeException e) {
                    tlsFailure = new IllegalStateException("cannot start the fixture TLS Dovecot", e);
                    throw tlsFailure;
                }
            }
            return tlsDovecot;
        } finally {
            LOCK.unlock();
        }
    }

    /** The shared Postfix, authenticating against and delivering to {@link #dovecot()}. */
    public static RealPostfix postfix() {
        LOCK.lock();
        try {
            if (postfix == null) {
                rethrow(postfixFailure);
                RealDovecot d = dovecot();
                try {
                    postfix = RealPostfix.start(d);
                } catch (IOException | RuntimeException e) {
                    postfixFailure = new IllegalStateException("cannot start the fixture Postfix", e);
                    throw postfixFailure;
                }
            }
            return postfix;
        } finally {
            LOCK.unlock();
        }
    }

    private static void rethrow(RuntimeException earlier) {
        if (earlier != null) {
            throw new IllegalStateException("failed earlier in this JVM: " + earlier.getMessage(), earlier);
        }
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
        Path script = null;
        // Surefire runs in the project dir; an IDE may use a subfolder: look upwards too.
        for (Path d = Path.of(System.getProperty("user.dir")).toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve(INSTALL_SCRIPT))) {
                script = d.resolve(INSTALL_SCRIPT);
                break;
            }
        }
        if (script == null) {
            throw new IOException("Dovecot/Postfix missing and no " + INSTALL_SCRIPT + " above "
                    + System.getProperty("user.dir"));
        }
        Path out = Files.createTempFile("mailproxy-install-servers", ".log");
        LOG.info("installing Dovecot/Postfix with {} (output in {})", script, out);
        int exit = Procs.run(out, Duration.ofMinutes(20), "sh", script.toString());
        if (exit != 0) {
            throw new IOException(script + " exited " + exit + ":\n" + Files.readString(out));
        }
    }

    /** Stops all servers in parallel (Dovecot takes about a second to exit). */
    private static void stopAll() {
        boolean keep = Boolean.getBoolean("mailproxy.realservers.keep");
        List<Thread> stops = new ArrayList<>();
        RealPostfix p = postfix;
        if (p != null) {
            stops.add(Thread.ofPlatform().start(() -> p.stop(keep)));
        }
        for (RealDovecot d : new RealDovecot[] {dovecot, tlsDovecot}) {
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
