package mailproxy.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;

/**
 * mailproxy.admin.token-file: the admin listener's bearer token, read once at startup. Its
 * errors name the key and the file, never the token: a missing, unreadable, empty, short
 * or world-readable file stops the start (docs/SECURITY.md).
 */
final class AdminTokenFile {
    /** Fewer characters than this would be guessable; 32 random hex digits are 128 bits. */
    static final int MIN_LENGTH = 16;
    /** A token is one line; a bigger file is not a token file. */
    private static final long MAX_FILE_BYTES = 4096;

    private AdminTokenFile() {}

    /** The token, or null when {@code path} is empty (no token). */
    static String read(Section admin, String path) {
        if (path.isEmpty()) return null;
        Path file = Path.of(path);
        String text;
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw admin.error("token-file", "'" + path + "' is larger than " + MAX_FILE_BYTES + " bytes; expected one line");
            }
            if (Files.getFileStore(file).supportsFileAttributeView("posix")
                    && Files.getPosixFilePermissions(file).contains(PosixFilePermission.OTHERS_READ)) {
                throw admin.error("token-file", "'" + path + "' is readable by every user of this host; chmod 600 (or 640) it");
            }
            text = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException | UnsupportedOperationException e) {
            throw admin.error("token-file", "cannot read '" + path + "': " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        }
        if (text.isEmpty()) throw admin.error("token-file", "'" + path + "' is empty; expected one line with the token");
        for (int i = 0; i < text.length(); i++) {
            // RFC 6750 §2.1: the token travels as a b64token, so no spaces or control bytes
            char c = text.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                throw admin.error("token-file", "'" + path + "' holds more than one word or a byte outside printable ASCII;"
                        + " expected one line with the token");
            }
        }
        if (text.length() < MIN_LENGTH) {
            throw admin.error("token-file", "the token in '" + path + "' is shorter than " + MIN_LENGTH
                    + " characters; make one with: openssl rand -hex 32");
        }
        return text;
    }
}
