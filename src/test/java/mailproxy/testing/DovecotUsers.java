package mailproxy.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * The passwd-file of one Dovecot (passdb and userdb, {@code username_format=%n}) and the
 * users' Maildirs under {@code dir/mail}, owned by the mail user.
 */
final class DovecotUsers {
    private static final Pattern USER_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    private final Path dir;
    private final int uid;
    private final int gid;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, String> passwords = new LinkedHashMap<>();
    private long stamp;

    DovecotUsers(Path dir, int uid, int gid) {
        this.dir = dir;
        this.uid = uid;
        this.gid = gid;
    }

    Path file() {
        return dir.resolve("users");
    }

    Path home(String user) {
        return dir.resolve("mail").resolve(user);
    }

    /**
     * Adds or replaces {@code user} with a freshly seeded Maildir and rewrites the file;
     * returns when it was written (epoch millis).
     */
    long put(String user, String password) throws IOException {
        if (!USER_NAME.matcher(user).matches() || password.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("bad user name or password for " + user);
        }
        lock.lock();
        try {
            InstanceDir.delete(home(user));
            SeededMail.writeMaildir(home(user), uid, gid);
            passwords.put(user, password);
            StringBuilder text = new StringBuilder();
            // {PLAIN.B64}: any password bytes (':', '"', '\', UTF-8) survive the file format.
            passwords.forEach((name, pass) -> text.append(name).append(":{PLAIN.B64}")
                    .append(Base64.getEncoder().encodeToString(pass.getBytes(StandardCharsets.UTF_8)))
                    .append(':').append(uid).append(':').append(gid).append("::")
                    .append(home(name)).append("::\n"));
            Path tmp = dir.resolve("users.tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, file(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            // Dovecot rereads the file only when its mtime (whole seconds) or size changed:
            // give every version an mtime of its own.
            long written = System.currentTimeMillis();
            stamp = Math.max(stamp + 1, written / 1000);
            Files.setLastModifiedTime(file(), FileTime.from(stamp, TimeUnit.SECONDS));
            return written;
        } finally {
            lock.unlock();
        }
    }

    String password(String user) {
        lock.lock();
        try {
            String password = passwords.get(user);
            if (password == null) {
                throw new IllegalArgumentException("no fixture user " + user);
            }
            return password;
        } finally {
            lock.unlock();
        }
    }
}
