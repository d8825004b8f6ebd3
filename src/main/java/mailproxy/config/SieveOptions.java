package mailproxy.config;

import java.util.List;

/**
 * A ManageSieve listener's own options (sieve-* keys): the greeting's values before login
 * (RFC 5804 §1.7); after login the backend's own capabilities apply.
 *
 * @param notifyMethods the NOTIFY capability's methods, or empty to leave it out
 */
public record SieveOptions(String implementation, String extensions, String notifyMethods)
        implements ListenerConfig.Options {
    static final List<String> KEYS = List.of("sieve-implementation", "sieve-extensions", "sieve-notify");

    /** The greeting's IMPLEMENTATION, SIEVE and NOTIFY values; printable text only. */
    static SieveOptions read(ListenerReader.Context c) {
        Section s = c.s();
        return new SieveOptions(printable(s, "sieve-implementation"), printable(s, "sieve-extensions"),
                printable(s, "sieve-notify"));
    }

    private static String printable(Section s, String key) {
        String v = s.string(key);
        if (!v.chars().allMatch(ch -> ch >= 0x20 && ch != 0x7f)) {
            throw s.error(key, "expected text without control characters");
        }
        return v;
    }
}
