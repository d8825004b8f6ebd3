package mailproxy.config;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import mailproxy.wire.CidrSet;

/**
 * Listener keys beyond the basics: the PROXY protocol and who may send it, nginx's
 * per-server {} overrides of the global limits, and SMTP capabilities passed on from the
 * backend. Kept apart from ConfigLoader so each stays readable.
 */
final class ListenerOptions {
    private ListenerOptions() {}

    /**
     * EHLO keywords the proxy announces itself, or must never announce: STARTTLS and AUTH
     * depend on the listener's state; SIZE comes from smtp-size; CHUNKING (RFC 3030) would
     * let the client send BDAT, which the proxy cannot carry before the backend is chosen.
     */
    private static final Set<String> SMTP_OWN = Set.of("STARTTLS", "AUTH", "SIZE", "PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES");
    private static final Set<String> SMTP_NEVER = Set.of("CHUNKING", "BDAT");

    /** The global limits with this listener's timeout, max-errors, line-length and proxy-timeout, where set. */
    static Limits limits(Section s, Limits global) {
        // the same bounds as the mailproxy.limits keys they override
        Integer lineLength = s.has("line-length") ? (int) s.bytes("line-length", 64, 1 << 20) : null;
        Integer maxErrors = s.has("max-errors") ? s.integer("max-errors", 1, 1000) : null;
        Duration timeout = s.has("timeout") ? s.duration("timeout", Duration.ofSeconds(1)) : null;
        Duration proxyTimeout = s.has("proxy-timeout") ? s.duration("proxy-timeout", Duration.ofSeconds(1)) : null;
        return global.withOverrides(lineLength, maxErrors, timeout, proxyTimeout);
    }

    /** relay-buffer-size over mailproxy.relay.buffer-size. */
    static int relayBufferSize(Section s, int global) {
        return s.has("relay-buffer-size") ? (int) s.bytes("relay-buffer-size", 512, 1 << 20) : global;
    }

    /**
     * trusted-proxies, which proxy-protocol = true requires: the PROXY protocol spec (§5)
     * warns that a header accepted from anyone lets any client pick its own address.
     */
    static CidrSet trustedProxies(Section s, boolean proxyProtocol) {
        CidrSet set;
        try {
            set = CidrSet.parse(s.strings("trusted-proxies"));
        } catch (IllegalArgumentException e) {
            throw s.error("trusted-proxies", e.getMessage());
        }
        if (proxyProtocol && set.isEmpty()) {
            throw s.error("trusted-proxies", "proxy-protocol = true needs the addresses of the load balancers allowed to "
                    + "send the PROXY header, such as [\"10.0.0.0/8\"]");
        }
        return set;
    }

    /**
     * smtp-capabilities (nginx smtp_capabilities): EHLO lines the backend supports, one
     * keyword with its parameters each (RFC 5321 §4.1.1.1: ehlo-keyword *(SP ehlo-param)).
     * Empty on listeners of other protocols.
     */
    static List<String> smtpCapabilities(Section s, Protocol protocol) {
        List<String> in = s.strings("smtp-capabilities");
        if (protocol != Protocol.SMTP) return List.of();
        List<String> out = new ArrayList<>(in.size());
        for (String line : in) {
            String[] words = line.split(" ", -1);
            if (!keyword(words[0]) || !params(words)) {
                throw s.error("smtp-capabilities", "expected one EHLO keyword per entry, with its parameters after single "
                        + "spaces (\"DSN\", \"SIZE 1000\"), got '" + mailproxy.wire.LogSafe.text(line) + "'");
            }
            String keyword = words[0].toUpperCase(Locale.ROOT);
            if (SMTP_NEVER.contains(keyword)) {
                throw s.error("smtp-capabilities", keyword + " cannot be offered: the proxy reads commands before the backend "
                        + "is chosen and cannot carry BDAT chunks");
            }
            if (SMTP_OWN.contains(keyword)) {
                throw s.error("smtp-capabilities", keyword + " is announced by the proxy itself"
                        + (keyword.equals("SIZE") ? " (set smtp-size)" : ""));
            }
            out.add(line);
        }
        return List.copyOf(out);
    }

    /** lmtp-*: who may deliver, size and recipient limits, and where a message split over backends is kept. */
    static ListenerConfig.Lmtp lmtp(Section s, Protocol protocol) {
        long max = s.bytes("lmtp-max-message-size", 1024, Long.MAX_VALUE);
        long memory = s.bytes("lmtp-memory-buffer", 0, 1L << 30);
        Path tempDir = spoolDir(s, protocol);
        // RFC 5321 §4.5.3.1.8: at least 100 recipients must be accepted
        int recipients = s.integer("lmtp-max-recipients", 100, 100_000);
        // RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets with its CRLF
        int line = (int) s.bytes("lmtp-line-length", 1000, 1 << 24);
        ListenerConfig.BareNewline bare = s.oneOf("lmtp-bare-newline", ListenerConfig.BareNewline.class);
        return new ListenerConfig.Lmtp(max, memory, tempDir, recipients, line, bare, lmtpClients(s, protocol));
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
    private static CidrSet lmtpClients(Section s, Protocol protocol) {
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

    /** sieve-*: the greeting's IMPLEMENTATION, SIEVE and NOTIFY values; printable text only. */
    static ListenerConfig.Sieve sieve(Section s) {
        return new ListenerConfig.Sieve(printable(s, "sieve-implementation"), printable(s, "sieve-extensions"),
                printable(s, "sieve-notify"));
    }

    private static String printable(Section s, String key) {
        String v = s.string(key);
        if (!v.chars().allMatch(c -> c >= 0x20 && c != 0x7f)) {
            throw s.error(key, "expected text without control characters");
        }
        return v;
    }

    /** RFC 5321 §4.1.1.1: ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"). */
    private static boolean keyword(String w) {
        if (w.isEmpty() || w.charAt(0) == '-') return false;
        return w.chars().allMatch(c -> c < 0x80 && (Character.isLetterOrDigit(c) || c == '-'));
    }

    /** ehlo-param = 1*(%d33-126): printable, no spaces, no CR/LF. */
    private static boolean params(String[] words) {
        for (int i = 1; i < words.length; i++) {
            if (words[i].isEmpty() || !words[i].chars().allMatch(c -> c >= 33 && c <= 126)) return false;
        }
        return true;
    }
}
