package mailproxy.lmtp;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directory where {@link Spool} keeps messages split over backends (lmtp-temp-dir):
 * mailproxy's own, 0700, its files 0600. A crash (SIGKILL, the OOM killer) skips
 * {@link Spool#close()}, so whole mails may be left there: the first listener that uses
 * the directory removes them (docs/SECURITY.md).
 *
 * <p>Two proxies on one host may share the directory (the default one under
 * java.io.tmpdir). Each holds a shared lock on its ".lock" file for as long as it runs (the
 * kernel drops it when the process dies, however it dies); the leftovers are removed only
 * by a proxy that gets the lock exclusively first, that is, when no other one is running.
 * Within one JVM the directory is prepared once: this class owns that record.
 */
public final class SpoolDir {
    private static final Logger log = LoggerFactory.getLogger(SpoolDir.class);
    static final String PREFIX = "mailproxy-lmtp-";
    static final String SUFFIX = ".msg";
    private static final String LOCK = ".lock";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
    /** Directories this JVM prepared, with the shared lock that says it uses them; held until exit. */
    private static final Map<Path, FileLock> PREPARED = new ConcurrentHashMap<>();
    private static final ReentrantLock PREPARING = new ReentrantLock();

    private SpoolDir() {}

    /**
     * Creates {@code dir} (0700) if missing, makes it owner-only, and removes what an earlier
     * run left in it when no other proxy uses it; logs how many. Once per directory per JVM.
     *
     * @throws IOException naming the directory: the listener cannot start
     */
    public static void prepare(Path dir) throws IOException {
        // a lock, not synchronized: file I/O under it (docs/ARCHITECTURE.md); startup and reloads only
        PREPARING.lock();
        try {
            Path abs = dir.toAbsolutePath().normalize();
            ownerOnly(abs);
            // one record per directory, however it is named: a second lock on the same file in
            // this JVM would throw
            Path key = abs.toRealPath();
            if (PREPARED.containsKey(key)) return;
            FileChannel channel = FileChannel.open(key.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            try {
                FileLock exclusive = tryExclusive(channel);
                int removed = -1;
                if (exclusive != null) {
                    removed = sweep(key);
                    exclusive.release();
                }
                PREPARED.put(key, channel.lock(0, Long.MAX_VALUE, true));
                if (removed < 0) log.info("lmtp spool {}: another mailproxy uses it; its files are left alone", key);
                else log.info("lmtp spool {}: removed {} file(s) left by an earlier run", key, removed);
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        } finally {
            PREPARING.unlock();
        }
    }

    /** The directory exists, is a directory (not a link to one) and only its owner may use it. */
    private static void ownerOnly(Path dir) throws IOException {
        boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            if (posix) Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            else Files.createDirectory(dir);
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("not a directory (a symbolic link is not taken)");
        }
        if (posix && !Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS).equals(OWNER_ONLY)) {
            // the config check made sure it is ours: nobody else may list, read or move the mails in it
            Files.setPosixFilePermissions(dir, OWNER_ONLY);
        }
    }

    /** The lock alone, or null while another process holds it (shared: it runs). */
    private static FileLock tryExclusive(FileChannel c) throws IOException {
        try {
            return c.tryLock(0, Long.MAX_VALUE, false);
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    /** Removes the proxy's message files; how many. */
    private static int sweep(Path dir) throws IOException {
        int n = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
            for (Path f : files) {
                if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) && Files.deleteIfExists(f)) n++;
            }
        }
        return n;
    }
}
