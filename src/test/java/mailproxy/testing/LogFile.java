package mailproxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

/**
 * A server's log file as the tests see it: the whole text, a mark (byte offset) to look only
 * at what came after some action, and a bounded wait for a line. Several tests share one
 * server, so prefer {@link #awaitSince} with a mark, or a needle unique to the test (a
 * forwarded client address, a Message-ID, a user made by RealDovecot.addUser).
 */
public final class LogFile {
    private static final Duration POLL = Duration.ofMillis(25);
    private static final int TAIL_BYTES = 16 * 1024;
    private final Path path;

    LogFile(Path path) {
        this.path = path;
    }

    public Path path() {
        return path;
    }

    /** The whole log now (UTF-8, malformed bytes replaced); empty if not yet created. */
    public String text() {
        return textSince(0);
    }

    /** The current end of the log; pass it to {@link #textSince} or {@link #awaitSince}. */
    public long mark() {
        try {
            return Files.size(path);
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The text written after {@code mark}. */
    public String textSince(long mark) {
        return new String(bytesFrom(mark), StandardCharsets.UTF_8);
    }

    /** Waits until a line of the whole log contains {@code needle}; returns that line. */
    public String await(String needle, Duration timeout) {
        return awaitSince(0, needle, timeout);
    }

    /**
     * Waits until a complete line written after {@code mark} contains {@code needle} and
     * returns the first such line; throws AssertionError with the log's tail when
     * {@code timeout} passes. Each poll reads only what was not yet searched.
     */
    public String awaitSince(long mark, String needle, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long from = Math.max(mark, 0);
        while (true) {
            byte[] chunk = bytesFrom(from);
            int end = lastNewline(chunk); // '\n' never occurs inside a UTF-8 sequence
            if (end >= 0) {
                String found = firstLineWith(new String(chunk, 0, end, StandardCharsets.UTF_8), needle);
                if (found != null) {
                    return found;
                }
                from += end + 1;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("no line containing '" + needle + "' in " + path
                        + " within " + timeout + "; log tail:\n" + tail(30));
            }
            try {
                Thread.sleep(POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for '" + needle + "'", e);
            }
        }
    }

    /** The last {@code lines} lines (of at most the last 16 KB), for failure messages. */
    public String tail(int lines) {
        String text = textSince(mark() - TAIL_BYTES);
        int pos = text.length();
        for (int i = 0; i <= lines && pos > 0; i++) {
            pos = text.lastIndexOf('\n', pos - 1);
            if (pos < 0) {
                return text;
            }
        }
        return text.substring(pos + 1);
    }

    private byte[] bytesFrom(long offset) {
        try (SeekableByteChannel ch = Files.newByteChannel(path)) {
            long size = ch.size();
            long start = Math.min(Math.max(offset, 0), size);
            if (size - start > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException(path + " is too large to read: " + size);
            }
            ByteBuffer buf = ByteBuffer.allocate((int) (size - start));
            ch.position(start);
            while (buf.hasRemaining() && ch.read(buf) > 0) {
                // reads until the size seen at open; more may be written meanwhile
            }
            return buf.hasRemaining() ? Arrays.copyOf(buf.array(), buf.position()) : buf.array();
        } catch (NoSuchFileException e) {
            return new byte[0];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int lastNewline(byte[] bytes) {
        for (int i = bytes.length - 1; i >= 0; i--) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static String firstLineWith(String text, String needle) {
        int at = text.indexOf(needle);
        if (at < 0) {
            return null;
        }
        int start = text.lastIndexOf('\n', at) + 1;
        int end = text.indexOf('\n', at);
        return text.substring(start, end < 0 ? text.length() : end);
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
