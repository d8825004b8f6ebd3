package mailproxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Dovecot (IMAP, POP3, LMTP, SASL auth for Postfix) on 127.0.0.1 with its own config,
 * ports, log and mail. Get the shared one from {@link RealServers#dovecot()}.
 *
 * <p>Users {@link #BOB}, {@link #ALICE}, {@link #CAROL} (passwords in the constants) each
 * start with the {@link #seededMessage seeded messages} in INBOX. All tests of a JVM share
 * the instance: a test that deletes or adds mail should use its own user
 * ({@link #addUser}). Login lines land in {@link #log()}, e.g.
 * {@code imap-login: Login: user=<bob>, method=PLAIN, rip=198.51.100.8, lip=127.0.0.1, ...}.
 */
public final class RealDovecot extends RealServer {
    public static final String HOST = "127.0.0.1";
    /** Mail domain: LMTP and Postfix accept {@code user@example.test}; logins use {@code user}. */
    public static final String DOMAIN = "example.test";
    public static final String BOB = "bob";
    public static final String BOB_PASSWORD = "secret";
    public static final String ALICE = "alice";
    /** Spaces, a double quote, a backslash and non-ASCII (UTF-8 on the wire). */
    public static final String ALICE_PASSWORD = "p a\"s\\s w\u00f6rd";
    public static final String CAROL = "carol";
    public static final String CAROL_PASSWORD = "carol-pass";
    static final String MAIL_USER = "mailproxy-vmail";

    private static final Logger LOG = LoggerFactory.getLogger(RealDovecot.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);

    private final boolean tls;
    private final DovecotConfig.Ports ports;
    private final int uid;
    private final int gid;
    private final DovecotUsers users;
    private volatile boolean started;
    /** dovecot.conf lines added after the generated ones (an extra instance's own listeners). */
    private String extraConfig = "";

    private RealDovecot(Path dir, boolean tls, DovecotConfig.Ports ports, int uid, int gid) {
        super(dir, "dovecot.log");
        this.tls = tls;
        this.ports = ports;
        this.uid = uid;
        this.gid = gid;
        this.users = new DovecotUsers(dir, uid, gid);
    }

    /**
     * A Dovecot of the test's own (not shared), e.g. the second server of a pool, with
     * {@code extraConfig} appended to its dovecot.conf; the test stops it with {@link #close()}.
     */
    public static RealDovecot startExtra(String extraConfig) throws IOException {
        RealServers.dovecot(); // packages installed, mail user there
        return start(false, extraConfig);
    }

    /** Starts a fresh instance; retries with new ports if one was taken meanwhile. */
    static RealDovecot start(boolean tls) throws IOException {
        return start(tls, "");
    }

    private static RealDovecot start(boolean tls, String extraConfig) throws IOException {
        int uid = Integer.parseInt(Procs.output(Duration.ofSeconds(10), "id", "-u", MAIL_USER));
        int gid = Integer.parseInt(Procs.output(Duration.ofSeconds(10), "id", "-g", MAIL_USER));
        return RealServers.startWithRetries("Dovecot", () -> {
            int[] p = FreePorts.allocate(5);
            DovecotConfig.Ports ports = new DovecotConfig.Ports(
                    p[0], p[1], p[2], tls ? p[3] : 0, tls ? p[4] : 0);
            RealDovecot d = new RealDovecot(InstanceDir.create(tls ? "dovecot-tls" : "dovecot"),
                    tls, ports, uid, gid);
            d.extraConfig = extraConfig;
            long t0 = System.nanoTime();
            try {
                d.launch();
            } catch (IOException e) {
                d.stop(false);
                throw e;
            }
            LOG.info("{} up after {} ms in {}", d, (System.nanoTime() - t0) / 1_000_000, d.dir);
            return d;
        });
    }

    private void launch() throws IOException {
        Files.createDirectories(dir.resolve("state"));
        Files.createDirectories(dir.resolve("mail"));
        addUser(BOB, BOB_PASSWORD);
        addUser(ALICE, ALICE_PASSWORD);
        addUser(CAROL, CAROL_PASSWORD);
        if (tls) {
            // EC P-256 (fast to make), CN=localhost, SAN 127.0.0.1: tls.pem and tls.key
            TestPki.in(dir).selfSigned("tls", TestPki.Key.EC, "/CN=localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost");
        }
        Path conf = dir.resolve("dovecot.conf");
        Files.writeString(conf, DovecotConfig.render(instance, dir, ports, uid, tls) + extraConfig);
        startMaster();
        started = true;
    }

    /** Runs the master on the written config and waits until IMAP, POP3 and LMTP greet. */
    private void startMaster() throws IOException {
        Path conf = dir.resolve("dovecot.conf");
        Path out = dir.resolve("dovecot.out");
        int exit = Procs.run(out, Duration.ofSeconds(20), "/usr/sbin/dovecot", "-c", conf.toString());
        if (exit != 0) {
            throw new IOException("dovecot exited " + exit + ": " + Files.readString(out).trim()
                    + "\nlog:\n" + log.tail(20));
        }
        disableAuthPenalty();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        String banner = "Dovecot " + instance + " ready.";
        try {
            ServerProbe.awaitGreeting(HOST, ports.imap(), g -> g.startsWith("* OK") && g.contains(banner), deadline);
            ServerProbe.awaitGreeting(HOST, ports.pop3(), g -> g.startsWith("+OK") && g.contains(banner), deadline);
            ServerProbe.awaitGreeting(HOST, ports.lmtp(), g -> g.startsWith("220 "), deadline);
        } catch (IOException e) {
            throw new IOException("Dovecot not ready: " + e.getMessage() + "\nlog:\n" + log.tail(20), e);
        }
    }

    /** Kills the server (a crash, as a pool sees it); {@link #restart()} brings it back on the same ports. */
    public void kill() {
        Procs.readPid(dir.resolve("run/master.pid")).flatMap(ProcessHandle::of).ifPresent(master -> {
            // the master and every process it runs (login processes hold the listening
            // sockets), all at once, and gone before this returns
            List<ProcessHandle> all = new ArrayList<>(master.descendants().toList());
            all.add(0, master);
            all.forEach(ProcessHandle::destroyForcibly);
            for (ProcessHandle h : all) Procs.awaitGone(h.pid(), Duration.ofSeconds(5));
        });
    }

    /** Starts the server again after {@link #kill()}, same config, ports, users and mail. */
    public void restart() throws IOException {
        // the killed master may linger as a zombie (PID 1 of a container need not reap it),
        // and Dovecot takes a live PID in master.pid for a running instance
        Files.deleteIfExists(dir.resolve("run/master.pid"));
        for (int port : new int[] {ports.imap(), ports.pop3(), ports.lmtp()}) awaitFree(port, Duration.ofSeconds(10));
        startMaster();
    }

    /** Waits (bounded) until nothing listens on {@code port} any more, so it can be bound again. */
    private static void awaitFree(int port, Duration limit) throws IOException {
        try {
            Await.retrying(limit, Duration.ofMillis(50), () -> {
                try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
                    probe.setReuseAddress(true);
                    probe.bind(new java.net.InetSocketAddress(HOST, port));
                    return port;
                }
            });
        } catch (IOException inUse) {
            throw new IOException("port " + port + " still in use after " + limit, inUse);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    /** Stops an instance from {@link #startExtra} and deletes its files. */
    public void close() {
        stop(false);
    }

    /**
     * Dovecot 2.3.19 makes every authentication from an IP wait 2..15 s after a failed one
     * from it (the "auth penalty"), even from login_trusted_networks and with
     * auth_failure_delay = 0: one wrong-password test would slow all later logins from
     * 127.0.0.1. The auth process turns the penalty off, silently, when the anvil socket
     * for it is missing at its start, so remove the socket before the first connection
     * starts the auth process (nothing else uses it). Failed logins still answer after
     * about 0.5 s (Dovecot's failure queue tick).
     */
    private void disableAuthPenalty() throws IOException {
        if (!Files.deleteIfExists(dir.resolve("run/anvil-auth-penalty"))) {
            LOG.warn("no run/anvil-auth-penalty in {}: failed logins may slow later ones", dir);
        }
    }

    /** Stops the master (it stops its children) and, unless {@code keep}, deletes the files. */
    void stop(boolean keep) {
        Procs.readPid(dir.resolve("run/master.pid"))
                .ifPresent(pid -> Procs.stop(pid, "dovecot", Duration.ofSeconds(5)));
        if (!keep) {
            InstanceDir.delete(dir);
        }
    }

    /**
     * Adds (or replaces) a user whose INBOX holds just the seeded messages, so a test can
     * delete or add mail without disturbing others; returns once Dovecot accepts the login.
     * Names: lower-case letters, digits, '.', '_', '-'. Replacing an existing user (e.g.
     * {@code addUser(BOB, BOB_PASSWORD)}) resets its mailbox; do that only while no
     * session of that user is open.
     */
    public void addUser(String user, String password) {
        try {
            long written = users.put(user, password);
            if (started) {
                // Dovecot stats the file at most once per second of its clock: from the next
                // second on, the next lookup must see this version.
                ServerProbe.sleep((written / 1000 + 1) * 1000 + 20 - System.currentTimeMillis());
                awaitUser(user, password);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot add user " + user, e);
        }
    }

    private void awaitUser(String user, String password) throws IOException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!ServerProbe.imapAuthenticates(HOST, ports.imap(), user, password)) {
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("Dovecot did not pick up user " + user + "\nlog:\n" + log.tail(20));
            }
            ServerProbe.sleep(100);
        }
    }

    /** The password of a fixture user; IllegalArgumentException if there is no such user. */
    public String userPassword(String user) {
        return users.password(user);
    }

    /**
     * The exact bytes of seeded message {@code n} (1-based; 1 = short ASCII, 2 = ~30 KB UTF-8
     * with lines starting with "."), CRLF line ends: what IMAP {@code FETCH n BODY[]} returns
     * and what POP3 {@code RETR n} returns after dot-unstuffing.
     */
    public static byte[] seededMessage(int n) {
        return SeededMail.message(n);
    }

    public static int seededMessageCount() {
        return SeededMail.count();
    }

    /**
     * Delivers {@code message} over LMTP to {@code rcpt} (e.g. "carol@example.test").
     * Dovecot prepends Return-Path and Delivered-To headers to what it stores.
     */
    public void deliver(String rcpt, byte[] message) {
        try {
            Lmtp.deliver(HOST, ports.lmtp(), rcpt, message);
        } catch (IOException e) {
            throw new UncheckedIOException("LMTP delivery to " + rcpt + " failed", e);
        }
    }

    public String host() {
        return HOST;
    }

    /** Plain IMAP (STARTTLS on the TLS instance). */
    public int imapPort() {
        return ports.imap();
    }

    /** Plain POP3 (STLS on the TLS instance). */
    public int pop3Port() {
        return ports.pop3();
    }

    public int lmtpPort() {
        return ports.lmtp();
    }

    /** Implicit-TLS IMAP; only on the TLS instance. */
    public int imapsPort() {
        requireTls();
        return ports.imaps();
    }

    /** Implicit-TLS POP3; only on the TLS instance. */
    public int pop3sPort() {
        requireTls();
        return ports.pop3s();
    }

    /**
     * Whether this is the TLS instance ({@code ssl = required}). Dovecot counts loopback
     * clients as secured, so a plaintext login from 127.0.0.1 still works there: to prove TLS
     * was used, look for {@code , TLS,} (not {@code , secured,}) in the Login log line.
     */
    public boolean tls() {
        return tls;
    }

    /** The self-signed certificate (PEM, CN=localhost, SAN IP:127.0.0.1) of the TLS instance. */
    public Path tlsCertificate() {
        requireTls();
        return dir.resolve("tls.pem");
    }

    /** The private key (PEM) matching {@link #tlsCertificate()}. */
    public Path tlsKey() {
        requireTls();
        return dir.resolve("tls.key");
    }

    /** An SSLContext that trusts exactly {@link #tlsCertificate()}. */
    public SSLContext trustingSslContext() {
        return TestPki.clientContext(tlsCertificate(), null);
    }

    private void requireTls() {
        if (!tls) {
            throw new IllegalStateException("not the TLS instance: use RealServers.tlsDovecot()");
        }
    }

    /** Unix socket for Postfix SASL ({@code smtpd_sasl_type = dovecot}), mode 0660 postfix. */
    public Path authSocketPath() {
        return dir.resolve("run/auth-postfix");
    }

    /** The Maildir of a fixture user, to inspect stored files. */
    public Path maildir(String user) {
        return users.home(user).resolve("Maildir");
    }

    @Override
    public String toString() {
        return "Dovecot " + instance + " imap " + ports.imap() + " pop3 " + ports.pop3()
                + " lmtp " + ports.lmtp() + (tls ? " imaps " + ports.imaps() + " pop3s " + ports.pop3s() + " (TLS)" : "");
    }
}
