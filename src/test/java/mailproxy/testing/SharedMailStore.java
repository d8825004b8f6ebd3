package mailproxy.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Users and their Maildirs that several {@link RealDovecot}s serve at once: the shared
 * storage (NFS, a cluster file system) that README.md, "Why a user stays on one server",
 * is about. Each Dovecot started with {@link #dovecotConfig()} in its extra config looks a
 * user up in its own passwd-file first (the fixture users) and then in this store's, whose
 * homes are all under this store's folder: one mailbox per user, whichever server serves it.
 * Add the users before the Dovecots start (a started Dovecot rereads the file at most once
 * a second). Deleted by {@link #close()}.
 */
public final class SharedMailStore implements AutoCloseable {
    private final Path dir;
    private final int uid;
    private final int gid;
    private final DovecotUsers users;

    private SharedMailStore(Path dir, int uid, int gid) {
        this.dir = dir;
        this.uid = uid;
        this.gid = gid;
        this.users = new DovecotUsers(dir, uid, gid);
    }

    public static SharedMailStore create() throws IOException {
        RealServers.dovecot(); // packages installed, mail user there
        int uid = Integer.parseInt(Procs.output(Duration.ofSeconds(10), "id", "-u", RealDovecot.MAIL_USER));
        int gid = Integer.parseInt(Procs.output(Duration.ofSeconds(10), "id", "-g", RealDovecot.MAIL_USER));
        return new SharedMailStore(InstanceDir.create("mailstore"), uid, gid);
    }

    /** A user whose INBOX holds the {@link RealDovecot#seededMessage seeded messages}. */
    public void addUser(String user, String password) throws IOException {
        users.put(user, password);
    }

    /** dovecot.conf lines for {@link RealDovecot#startExtra}: this store's users after the instance's own. */
    public String dovecotConfig() {
        return """
                passdb {
                  driver = passwd-file
                  args = scheme=PLAIN username_format=%%n %1$s
                }
                userdb {
                  driver = passwd-file
                  args = username_format=%%n %1$s
                }
                """.formatted(users.file());
    }

    /**
     * dovecot.conf lines for {@link RealDovecot#startExtra}, beside the instance's own users:
     * any other user name logs in with {@code password}, and gets an empty home under this
     * store's folder (made by Dovecot at the first login), the same whichever server serves it.
     */
    public String anyUserConfig(String password) throws IOException {
        Path homes = dir.resolve("any");
        Files.createDirectories(homes);
        Files.setOwner(homes, homes.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(RealDovecot.MAIL_USER));
        return """

                passdb {
                  driver = static
                  args = password=%s
                }
                userdb {
                  driver = static
                  args = uid=%d gid=%d home=%s/%%n
                }
                """.formatted(password, uid, gid, homes);
    }

    @Override
    public void close() {
        InstanceDir.delete(dir);
    }
}
