package mailproxy.lmtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import mailproxy.config.ConfigException;
import mailproxy.testing.FreePorts;
import mailproxy.testing.LogCapture;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spool of messages split over backends holds whole mails. A crash (SIGKILL, the OOM
 * killer) skips the cleanup that deletes them, so they must lie where nobody else can read
 * or move them, and go at the next start: a directory of mailproxy's own (0700, owned by
 * the user it runs as), files 0600, leftovers removed when the listener starts.
 */
@Timeout(60)
class LmtpSpoolTest {
    static String withSpool(Path dir) throws Exception {
        return LmtpFixture.config(FreePorts.closedPort(), FreePorts.closedPort(), ", lmtp-temp-dir = \"" + dir + "\"");
    }

    /** What a killed proxy leaves behind: a message file in its spool dir, which another user could look into. */
    @Test
    void leftoversOfACrashAreRemovedAtStartupAndTheDirIsOwnerOnly(@TempDir Path tmp) throws Exception {
        Path spool = Files.createDirectory(tmp.resolve("spool"));
        Files.setPosixFilePermissions(spool, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path leftover = Files.writeString(spool.resolve("mailproxy-lmtp-1234567.msg"), "Subject: payroll\r\n\r\nsecret\r\n");
        Path other = Files.writeString(spool.resolve("notes.txt"), "not ours");
        try (LogCapture log = new LogCapture(); TestProxy p = TestProxy.start(withSpool(spool))) {
            assertFalse(Files.exists(leftover), "a leftover spool file is removed at startup");
            assertTrue(Files.exists(other), "only the proxy's own files are removed");
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(spool)));
            log.awaitLine(Duration.ofSeconds(5), "lmtp spool " + spool, "removed 1 file(s) left by an earlier run");
        }
    }

    /** The default: a directory of its own under java.io.tmpdir, created 0700 when it is missing. */
    @Test
    void theDefaultSpoolIsADirectoryOfItsOwn(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("new-spool");
        try (TestProxy p = TestProxy.start(withSpool(dir))) {
            assertTrue(Files.isDirectory(dir));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        }
        String conf = LmtpFixture.config(FreePorts.closedPort(), FreePorts.closedPort(), "");
        try (TestProxy p = TestProxy.start(conf)) {
            Path def = Path.of(System.getProperty("java.io.tmpdir"), "mailproxy-lmtp-spool");
            assertEquals(def, p.config().listeners().get(0).options(mailproxy.config.LmtpOptions.class).tempDir());
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(def)));
        }
    }

    /** A message kept in a file while it goes to several backends: 0600, and gone when the transaction ends. */
    @Test
    void spoolFilesAreOwnerOnlyAndDeletedAfterUse(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("spool"));
        try (Spool s = new Spool(4, dir)) {
            byte[] m = "Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
            s.write(m, 0, m.length);
            List<Path> files = spoolFiles(dir);
            assertEquals(1, files.size());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(files.get(0))));
        }
        assertEquals(List.of(), spoolFiles(dir));
    }

    /** A spool dir that another user owns (made in a shared /tmp before the proxy started) is refused at startup. */
    @Test
    void aSpoolDirOfAnotherUserIsAConfigError(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("theirs"));
        try {
            Files.setOwner(dir, dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        } catch (java.io.IOException e) {
            Assumptions.abort("cannot give a directory to another user here (not root): " + e);
        }
        String e = assertThrows(ConfigException.class, () -> TestProxy.start(withSpool(dir))).getMessage();
        assertTrue(e.contains("test.conf") && e.contains("lmtp-temp-dir") && e.contains("belongs to nobody"), e);
    }

    /** The proxy's message files in {@code dir}. */
    static List<Path> spoolFiles(Path dir) throws java.io.IOException {
        try (var all = Files.list(dir)) {
            return all.filter(f -> f.getFileName().toString().matches("mailproxy-lmtp-.*\\.msg")).toList();
        }
    }
}
