package mailproxy.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Postfix smtpd on 127.0.0.1 with its own config dir: SASL (AUTH PLAIN/LOGIN) against
 * the fixture Dovecot, XCLIENT allowed from 127.0.0.0/8, mail for {@code @example.test}
 * delivered to that Dovecot over LMTP. Get the shared one from {@link RealServers#postfix()}.
 *
 * <p>Log lines worth waiting for: {@code client=client.example[198.51.100.9]} (XCLIENT
 * forwarding, after the queue id), {@code sasl_username=bob}, {@code status=sent}.
 */
public final class RealPostfix extends RealServer {
    private static final Logger LOG = LoggerFactory.getLogger(RealPostfix.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(15);

    private final int smtpPort;

    private RealPostfix(Path dir, int smtpPort) {
        super(dir, "postfix.log");
        this.smtpPort = smtpPort;
    }

    /** Starts a fresh instance delivering to {@code dovecot}; retries with a new port. */
    static RealPostfix start(RealDovecot dovecot) throws IOException {
        return start(dovecot, dovecot.lmtpPort(), "");
    }

    /**
     * A Postfix of the test's own (not shared): SASL from {@code sasl}'s auth socket, mail for
     * example.test delivered over LMTP to 127.0.0.1:{@code lmtpPort} (a proxy's LMTP listener),
     * {@code extraMainCf} appended to main.cf. The test stops it with {@link #close()}.
     */
    public static RealPostfix startExtra(RealDovecot sasl, int lmtpPort, String extraMainCf) throws IOException {
        RealServers.dovecot(); // packages installed, root checked
        return start(sasl, lmtpPort, extraMainCf);
    }

    /** Stops an instance from {@link #startExtra} and deletes its files. */
    public void close() {
        stop(false);
    }

    private static RealPostfix start(RealDovecot dovecot, int lmtpPort, String extraMainCf) throws IOException {
        return RealServers.startWithRetries("Postfix", () -> {
            RealPostfix p = new RealPostfix(InstanceDir.create("postfix"), FreePorts.allocate(1)[0]);
            long t0 = System.nanoTime();
            try {
                p.launch(dovecot, lmtpPort, extraMainCf);
            } catch (IOException e) {
                p.stop(false);
                throw e;
            }
            LOG.info("Postfix {} up after {} ms in {}: smtp {}", p.instance,
                    (System.nanoTime() - t0) / 1_000_000, p.dir, p.smtpPort);
            return p;
        });
    }

    private void launch(RealDovecot dovecot, int lmtpPort, String extraMainCf) throws IOException {
        Path etc = Files.createDirectories(dir.resolve("etc"));
        Files.createDirectories(dir.resolve("queue")); // before the first postfix command
        Files.writeString(etc.resolve("main.cf"), PostfixConfig.mainCf(instance, dir, dovecot, lmtpPort, extraMainCf));
        Files.writeString(etc.resolve("master.cf"), PostfixConfig.masterCf(smtpPort));
        Path out = dir.resolve("postfix.out");
        int exit = Procs.run(out, Duration.ofSeconds(60), "/usr/sbin/postfix", "-c", etc.toString(), "start");
        if (exit != 0) {
            throw new IOException("postfix start exited " + exit + ": " + Files.readString(out).trim()
                    + "\nlog:\n" + log.tail(20));
        }
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        try {
            ServerProbe.awaitGreeting(RealDovecot.HOST, smtpPort,
                    banner -> banner.startsWith("220 ") && banner.contains(instance), deadline);
        } catch (IOException e) {
            throw new IOException("Postfix not ready: " + e.getMessage() + "\nlog:\n" + log.tail(20), e);
        }
    }

    /** SIGTERM to the master (what {@code postfix stop} does), bounded; then delete files. */
    void stop(boolean keep) {
        Procs.readPid(dir.resolve("queue/pid/master.pid"))
                .ifPresent(pid -> Procs.stop(pid, "postfix", Duration.ofSeconds(5)));
        if (!keep) {
            InstanceDir.delete(dir);
        }
    }

    public String host() {
        return RealDovecot.HOST;
    }

    public int smtpPort() {
        return smtpPort;
    }

    /** The config dir, for {@code postfix -c <dir> ...} or {@code postconf -c <dir>}. */
    public Path configDir() {
        return dir.resolve("etc");
    }

    @Override
    public String toString() {
        return "Postfix " + instance + " smtp " + smtpPort;
    }
}
