package mailproxy.config;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import mailproxy.wire.CidrSet;

/**
 * An LMTP listener's own options (lmtp-* keys): who may deliver, size and recipient
 * limits, and where a message split over backends is kept.
 *
 * @param maxMessageSize the largest message (bytes as sent, dot-stuffing included);
 *     past it every recipient gets 552 (RFC 5321 §4.5.3.1.7)
 * @param memoryBuffer a message split over several backends is kept in memory up to
 *     this size, beyond it in a temporary file
 * @param tempDir where those files go
 * @param maxRecipients RCPTs per transaction; past it 452 (RFC 5321 §4.5.3.1.10)
 * @param lineLength the longest line of message data, CRLF included
 * @param bareNewline what a line end other than CRLF gets, in commands and in the data
 * @param clients who may deliver (LMTP has no AUTH); behind a trusted proxy, the client
 *     its PROXY header names
 */
public record LmtpOptions(long maxMessageSize, long memoryBuffer, Path tempDir, int maxRecipients,
                          int lineLength, BareNewline bareNewline, CidrSet clients) implements ListenerConfig.Options {

    /**
     * lmtp-bare-newline: RFC 5321 §2.3.8 and §4.1.1.4 know only CRLF; a bare LF or CR is
     * refused (as Postfix's smtpd_forbid_bare_newline = reject), or taken as CRLF. Either
     * way only CRLF "." CRLF ends the data, so nothing can be smuggled past it.
     */
    public enum BareNewline { REJECT, NORMALIZE }

    static final List<String> KEYS = List.of("lmtp-max-message-size", "lmtp-memory-buffer", "lmtp-temp-dir",
            "lmtp-max-recipients", "lmtp-line-length", "lmtp-bare-newline", "lmtp-clients");

    static LmtpOptions read(ListenerReader.Context c) {
        Section s = c.s();
        long max = s.bytes("lmtp-max-message-size", 1024, Long.MAX_VALUE);
        long memory = s.bytes("lmtp-memory-buffer", 0, 1L << 30);
        Path tempDir = spoolDir(s, c.protocol());
        // RFC 5321 §4.5.3.1.8: at least 100 recipients must be accepted
        int recipients = s.integer("lmtp-max-recipients", 100, 100_000);
        // RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets with its CRLF
        int line = (int) s.bytes("lmtp-line-length", 1000, 1 << 24);
        BareNewline bare = s.oneOf("lmtp-bare-newline", BareNewline.class);
        return new LmtpOptions(max, memory, tempDir, recipients, line, bare, clients(s, c.protocol()));
    }

    /**
     * lmtp-temp-dir: where messages split over backends are kept, whole mails, so a
     * directory of mailproxy's own: "" is mailproxy-lmtp-spool under java.io.tmpdir. The
     * lmtp package creates it (0700) and removes a crash's leftovers when the listener
     * starts; here only what can be said from the config: it is a directory (or can be made
     * in one) and nobody else owns it (one made before us in a shared /tmp could be read).
     */
    private static Path spoolDir(Section s, Protocol protocol) {
        String dir = s.string("lmtp-temp-dir");
        Path path = dir.isEmpty() ? Path.of(System.getProperty("java.io.tmpdir"), "mailproxy-lmtp-spool") : Path.of(dir);
        if (protocol != Protocol.LMTP) return path;
        try {
            if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                Path parent = path.toAbsolutePath().getParent();
                if (parent == null || !Files.isDirectory(parent)) {
                    throw s.error("lmtp-temp-dir", "expected a directory, or one to create in an existing directory, got '" + path + "'");
                }
                return path;
            }
            if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                throw s.error("lmtp-temp-dir", "expected a directory of mailproxy's own (not a file or a symbolic link), got '" + path + "'");
            }
            String owner = Files.getOwner(path, LinkOption.NOFOLLOW_LINKS).getName();
            String me = System.getProperty("user.name");
            if (!owner.equals(me)) {
                throw s.error("lmtp-temp-dir", "'" + path + "' belongs to " + owner + ", not to " + me
                        + " that mailproxy runs as: messages kept there could be read by " + owner
                        + "; name a directory of mailproxy's own");
            }
        } catch (java.io.IOException e) {
            throw s.error("lmtp-temp-dir", "cannot check '" + path + "': " + e.getMessage());
        }
        return path;
    }

    /**
     * lmtp-clients: LMTP has no AUTH (RFC 2033), so whoever connects may deliver to any
     * mailbox behind the proxy; an LMTP listener that nobody may use is a mistake.
     */
    private static CidrSet clients(Section s, Protocol protocol) {
        CidrSet set;
        try {
            set = CidrSet.parse(s.strings("lmtp-clients"));
        } catch (IllegalArgumentException e) {
            throw s.error("lmtp-clients", e.getMessage());
        }
        if (protocol == Protocol.LMTP && set.isEmpty()) {
            throw s.error("lmtp-clients", "no MTA could deliver here: list the addresses of the MTAs that deliver, "
                    + "such as [\"10.0.0.25\", \"127.0.0.1\"]");
        }
        return set;
    }
}
