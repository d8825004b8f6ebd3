package mailproxy.lmtp;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Set;

/**
 * One message kept for several backends: in memory up to {@code memoryLimit} bytes, the
 * rest in a temporary file (0600 in the {@link SpoolDir}, deleted on {@link #close()}; a
 * crash's leftovers go at the next start). The caller bounds the
 * total (lmtp-max-message-size) before writing.
 */
final class Spool implements Closeable {
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private final long memoryLimit;
    private final Path dir;
    private byte[] memory = new byte[8192];
    private int used;
    private Path file;
    private OutputStream fileOut;
    private long size;

    Spool(long memoryLimit, Path dir) {
        this.memoryLimit = memoryLimit;
        this.dir = dir;
    }

    void write(byte[] b, int off, int len) throws IOException {
        size += len;
        int toMemory = (int) Math.max(0, Math.min(len, memoryLimit - used));
        if (toMemory > 0 && fileOut == null) {
            if (used + toMemory > memory.length) {
                memory = Arrays.copyOf(memory, (int) Math.min(memoryLimit, Math.max(used + toMemory, (long) memory.length * 2)));
            }
            System.arraycopy(b, off, memory, used, toMemory);
            used += toMemory;
            off += toMemory;
            len -= toMemory;
        }
        if (len == 0) return;
        if (fileOut == null) {
            // rw-------, a name nobody can guess, in a directory of the proxy's own (SpoolDir)
            file = dir.getFileSystem().supportedFileAttributeViews().contains("posix")
                    ? Files.createTempFile(dir, SpoolDir.PREFIX, SpoolDir.SUFFIX, OWNER_ONLY)
                    : Files.createTempFile(dir, SpoolDir.PREFIX, SpoolDir.SUFFIX);
            fileOut = Files.newOutputStream(file);
        }
        fileOut.write(b, off, len);
    }

    long size() { return size; }

    /** The whole message in order, {@code chunk} bytes at a time. */
    void copyTo(Sink out, int chunk) throws IOException {
        for (int i = 0; i < used; i += chunk) out.write(memory, i, Math.min(chunk, used - i));
        if (file == null) return;
        fileOut.flush();
        byte[] buf = new byte[chunk];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) out.write(buf, 0, n);
        }
    }

    @Override
    public void close() {
        memory = null;
        try {
            if (fileOut != null) fileOut.close();
        } catch (IOException ignored) {
            // deleting it is what matters
        }
        try {
            if (file != null) Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // SpoolDir removes it at the next start; nothing refers to it
        }
    }

    /** Where message bytes go: a backend, a spool, nowhere. */
    @FunctionalInterface
    interface Sink {
        void write(byte[] b, int off, int len) throws IOException;
    }
}
