package mailproxy.imap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import mailproxy.session.Replies;
import mailproxy.wire.Connection;
import mailproxy.wire.LogSafe;

/**
 * One backend connection during the login: the proxy's own tags, and the backend's
 * responses read bounded (each line by the backend line limit, and all untagged text kept
 * for the client by the same limit), with what the login reads from them: a completion's
 * status and the capabilities.
 */
final class ImapBackendDialogue {
    private final Connection b;
    private final int max;
    /** Tags count per backend connection, which is this login's own. */
    private int serial;

    ImapBackendDialogue(Connection b, int max) {
        this.b = b;
        this.max = max;
    }

    String nextTag() {
        return "mp" + (++serial);
    }

    String line() throws IOException {
        return b.readLine(max);
    }

    /**
     * Reads until a continuation ("+ ...") or the completion tagged {@code tag};
     * untagged responses on the way (with any literals in them) go to {@code untagged}.
     *
     * @return the "+" or tagged line, or null if the backend closed
     */
    String until(String tag, StringBuilder untagged) throws IOException {
        while (true) {
            String line = b.readLine(max);
            if (line == null) return null;
            if (line.startsWith("+") || line.startsWith(tag + " ")) return line;
            if (!line.startsWith("* ")) throw new IOException("unexpected backend line: " + LogSafe.backendLine(line));
            // response-data may carry literals: "{n}" ends the line, n bytes follow
            StringBuilder response = new StringBuilder(line);
            for (long n = literalAtEnd(line); n >= 0; n = literalAtEnd(line)) {
                if (n > max - untagged.length() - response.length()) throw new IOException("backend literal too big");
                response.append(Replies.CRLF).append(new String(b.readExactly((int) n), StandardCharsets.ISO_8859_1));
                line = b.readLine(max);
                if (line == null) return null;
                response.append(line);
            }
            if (untagged.length() + response.length() > max) throw new IOException("too many untagged lines");
            untagged.append(response).append(Replies.CRLF);
        }
    }

    /** The n of a "{n}" at the end of a line, or -1. */
    private static long literalAtEnd(String line) {
        if (!line.endsWith("}")) return -1;
        int open = line.lastIndexOf('{');
        if (open < 0 || line.length() - open > 14) return -1;
        String digits = line.substring(open + 1, line.length() - 1);
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) return -1;
        return Long.parseLong(digits);
    }

    /**
     * resp-cond-state after the tag, the state word upper-cased for the caller's checks; ""
     * for a line that is not tagged {@code tag} (a "+" where none was asked for).
     */
    static String status(String tag, String reply) {
        if (!reply.startsWith(tag + " ")) return "";
        String rest = reply.substring(tag.length() + 1);
        int sp = rest.indexOf(' ');
        String word = sp < 0 ? rest : rest.substring(0, sp);
        return word.toUpperCase(Locale.ROOT) + (sp < 0 ? "" : rest.substring(sp));
    }

    /** The words of a "[CAPABILITY ...]" response code in the greeting, upper-cased. */
    static Set<String> capabilities(String greeting) {
        Set<String> caps = new HashSet<>();
        String upper = greeting.toUpperCase(Locale.ROOT);
        int start = upper.indexOf("[CAPABILITY ");
        if (start < 0) return caps;
        int end = upper.indexOf(']', start);
        if (end < 0) return caps;
        for (String c : upper.substring(start + 12, end).split(" ")) if (!c.isEmpty()) caps.add(c);
        return caps;
    }

    /**
     * Asks CAPABILITY (RFC 9051 §6.1.1) and reads the answer.
     *
     * @throws Refused the backend closed, or did not answer OK: the login cannot go on
     */
    Set<String> askCapabilities() throws IOException, Refused {
        String tag = nextTag();
        b.writeLine(tag + " CAPABILITY");
        StringBuilder untagged = new StringBuilder();
        String done = until(tag, untagged);
        if (done == null || done.startsWith("+") || !status(tag, done).startsWith("OK")) throw new Refused(done);
        return capabilitiesAnswered(untagged);
    }

    /** CAPABILITY was not answered with OK; {@code reply} is what came instead (null: closed). */
    static final class Refused extends Exception {
        final String reply;

        Refused(String reply) {
            super(null, null, false, false);
            this.reply = reply;
        }
    }

    /** The capabilities of the untagged "* CAPABILITY ..." that answered a CAPABILITY command. */
    private static Set<String> capabilitiesAnswered(StringBuilder untagged) {
        return capabilities("* OK [" + untagged.toString().replaceFirst("^\\* ", "").trim() + "]");
    }
}
