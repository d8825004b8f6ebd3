package mailproxy.testing;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fresh directory per server start under /tmp/mailproxy-realservers, owned by this JVM.
 * The {@code owner} file (PID and start time of the JVM) lets a later run find the servers
 * of a JVM that was killed before its shutdown hook ran, stop them and delete their files.
 */
final class InstanceDir {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceDir.class);
    /** Fixed (not java.io.tmpdir): every JVM must see the others' dirs, and unix socket
     *  paths under it must stay short (108 bytes). */
    static final Path ROOT = Path.of("/tmp/mailproxy-realservers");
    /** Where each kind of server keeps its master's PID, relative to the instance dir. */
    private static final List<String> PID_FILES = List.of("run/master.pid", "queue/pid/master.pid");
    private static final AtomicInteger SEQ = new AtomicInteger();

    private InstanceDir() {}

    /** Creates {@code ROOT/<pid>-<kind>-<n>}, world-traversable (the servers drop root). */
    static Path create(String kind) throws IOException {
        Files.createDirectories(ROOT);
        Files.setPosixFilePermissions(ROOT, PosixFilePermissions.fromString("rwxr-xr-x"));
        ProcessHandle self = ProcessHandle.current();
        Path dir = ROOT.resolve(self.pid() + "-" + kind + "-" + SEQ.incrementAndGet()
                + "-" + Long.toString(System.nanoTime() & 0xffffff, 36));
        Files.createDirectory(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(dir.resolve("owner"), self.pid() + " " + startOf(self));
        return dir;
    }

    /** Deletes a directory tree, ignoring what is already gone. */
    static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warn("could not delete {} fully: {}", dir, e.toString());
        }
    }

    /** Stops the servers and deletes the directories of JVMs that are gone. */
    static void reapStale() {
        if (!Files.isDirectory(ROOT)) {
            return;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(ROOT)) {
            for (Path dir : dirs) {
                if (isStale(dir)) {
                    LOG.info("removing stale test servers in {}", dir);
                    for (String pidFile : PID_FILES) {
                        // Dovecot's and Postfix's masters both live under /usr (sbin, lib).
                        Procs.readPid(dir.resolve(pidFile))
                                .ifPresent(pid -> Procs.stop(pid, "/usr/", Duration.ofSeconds(3)));
                    }
                    delete(dir);
                }
            }
        } catch (IOException e) {
            LOG.warn("could not scan {}: {}", ROOT, e.toString());
        }
    }

    private static boolean isStale(Path dir) {
        try {
            String[] owner = Files.readString(dir.resolve("owner")).trim().split(" ");
            Optional<ProcessHandle> jvm = ProcessHandle.of(Long.parseLong(owner[0]));
            return jvm.isEmpty() || !Procs.isRunning(jvm.get().pid())
                    || !startOf(jvm.get()).equals(owner.length > 1 ? owner[1] : "");
        } catch (IOException | RuntimeException e) {
            // No readable owner: a JVM died right after mkdir, or a stranger. Only old ones go.
            try {
                FileTime modified = Files.getLastModifiedTime(dir);
                return modified.toInstant().isBefore(Instant.now().minus(Duration.ofDays(1)));
            } catch (IOException gone) {
                return false;
            }
        }
    }

    private static String startOf(ProcessHandle h) {
        return h.info().startInstant().map(Instant::toString).orElse("?");
    }
}
