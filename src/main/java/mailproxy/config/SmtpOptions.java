package mailproxy.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * An SMTP listener's own options (smtp-* keys).
 *
 * @param size         the SIZE announced in EHLO (RFC 1870): 0 announces no number, -1 no SIZE
 * @param capabilities extra EHLO lines (keyword and parameters) the backend supports
 * @param authNone     "none" was in auth, so MAIL without AUTH is taken and routed as in mx
 *                     mode (nginx smtp_auth none)
 */
public record SmtpOptions(Mode mode, long size, Duration greetingDelay, List<String> capabilities, boolean authNone)
        implements ListenerConfig.Options {

    /** SMTP listener kind: submission needs AUTH before MAIL; mx takes mail without it. */
    public enum Mode { SUBMISSION, MX }

    static final List<String> KEYS = List.of(
            "smtp-mode", "smtp-trust-unchecked-login", "smtp-size", "smtp-greeting-delay", "smtp-capabilities");

    /**
     * EHLO keywords the proxy announces itself, or must never announce: STARTTLS and AUTH
     * depend on the listener's state; SIZE comes from smtp-size; CHUNKING (RFC 3030) would
     * let the client send BDAT, which the proxy cannot carry before the backend is chosen.
     */
    private static final Set<String> OWN = Set.of("STARTTLS", "AUTH", "SIZE", "PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES");
    private static final Set<String> NEVER = Set.of("CHUNKING", "BDAT");

    static SmtpOptions read(ListenerReader.Context c) {
        Section s = c.s();
        Mode mode = s.oneOf("smtp-mode", Mode.class);
        boolean trustUnchecked = s.bool("smtp-trust-unchecked-login");
        if (c.protocol() == Protocol.SMTP && mode == Mode.SUBMISSION && !trustUnchecked) {
            UncheckedLogin.refuse(s, c.name(), c.router(), c.auth(), c.backends());
        }
        long size = s.bytes("smtp-size", -1, Long.MAX_VALUE);
        Duration delay = s.duration("smtp-greeting-delay", Duration.ZERO);
        return new SmtpOptions(mode, size, delay, capabilities(s, c.protocol()), c.authNone());
    }

    /**
     * smtp-capabilities (nginx smtp_capabilities): EHLO lines the backend supports, one
     * keyword with its parameters each (RFC 5321 §4.1.1.1: ehlo-keyword *(SP ehlo-param)).
     * Empty on listeners of other protocols.
     */
    private static List<String> capabilities(Section s, Protocol protocol) {
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
            if (NEVER.contains(keyword)) {
                throw s.error("smtp-capabilities", keyword + " cannot be offered: the proxy reads commands before the backend "
                        + "is chosen and cannot carry BDAT chunks");
            }
            if (OWN.contains(keyword)) {
                throw s.error("smtp-capabilities", keyword + " is announced by the proxy itself"
                        + (keyword.equals("SIZE") ? " (set smtp-size)" : ""));
            }
            out.add(line);
        }
        return List.copyOf(out);
    }

    /** RFC 5321 §4.1.1.1: ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"). */
    private static boolean keyword(String w) {
        if (w.isEmpty() || w.charAt(0) == '-') return false;
        return w.chars().allMatch(ch -> ch < 0x80 && (Character.isLetterOrDigit(ch) || ch == '-'));
    }

    /** ehlo-param = 1*(%d33-126): printable, no spaces, no CR/LF. */
    private static boolean params(String[] words) {
        for (int i = 1; i < words.length; i++) {
            if (words[i].isEmpty() || !words[i].chars().allMatch(ch -> ch >= 33 && ch <= 126)) return false;
        }
        return true;
    }
}
