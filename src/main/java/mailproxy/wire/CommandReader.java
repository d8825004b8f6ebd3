package mailproxy.wire;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.IntPredicate;

/**
 * The bounded reader under the IMAP and ManageSieve parsers: one client command that may
 * span lines and literals (RFC 9051 §4.3, RFC 7888 literal+, RFC 5804 §4 strings), read
 * with every byte bounded. A line is bounded by {@code maxLine} (the connection throws); a
 * literal by {@code maxLiteral} and by what is left of the command's byte budget, checked
 * before a byte of it is read; the line after a literal by {@code maxLine} again and the
 * budget. It holds the line being parsed and a position in it; the protocol's parser walks
 * its own grammar over it and takes strings, quoted or literal, from here.
 *
 * <p>The two protocols differ only in the {@link Rules} they give: IMAP has synchronizing
 * literals (a "+" before the bytes), ManageSieve has none and caps quoted strings; each
 * words its own errors. It lives in wire because it needs nothing but a {@link Connection},
 * and imap and sieve may both import wire, not each other (docs/ARCHITECTURE.md, "Packages").
 *
 * <p>Strings are wire bytes as ISO-8859-1 chars: a UTF-8 password passes byte for byte.
 */
public final class CommandReader {
    /** A command without a byte budget of its own: its lines and literals are bounded one by one. */
    public static final long NO_BUDGET = Long.MAX_VALUE;

    /** What can be wrong with a string or a command's length; each protocol has its words for it. */
    public enum Problem {
        QUOTED_BAD_ESCAPE, QUOTED_BAD_CHAR, QUOTED_TOO_LONG, QUOTED_UNTERMINATED,
        LITERAL_NOT_AT_END, LITERAL_BAD_SIZE, LITERAL_TOO_BIG, COMMAND_TOO_LONG
    }

    /** What a problem is called in the protocol's replies. */
    public interface Wording {
        String of(Problem p);
    }

    /**
     * One protocol's rules.
     *
     * @param continuation      the continuation request sent before a synchronizing
     *                          literal's bytes ({n}); null when the protocol has none, so
     *                          that {n} is taken as {n+}
     * @param maxQuoted         the most characters a quoted string may hold
     * @param forbiddenInQuoted the bytes a quoted string may not hold, unescaped
     * @param maxSizeDigits     the most digits a literal's size may have (more: a bad size;
     *                          fewer but over the limit: too big)
     * @param wording           the protocol's texts for the problems
     */
    public record Rules(String continuation, int maxQuoted, String forbiddenInQuoted, int maxSizeDigits, Wording wording) {}

    private final Connection in;
    private final int maxLine;
    private final int maxLiteral;
    private final Rules rules;
    private String line;
    private int pos;
    /** Bytes the rest of this command may still take in literals and continuation lines. */
    private long budget;

    public CommandReader(Connection in, int maxLine, int maxLiteral, Rules rules) {
        this.in = in;
        this.maxLine = maxLine;
        this.maxLiteral = maxLiteral;
        this.rules = rules;
    }

    /**
     * Reads the first line of a command, which then may take {@code budget} bytes more in
     * literals and their lines.
     *
     * @return the line, or null at end of stream between commands
     * @throws LineTooLongException a line over the limit
     */
    public String begin(long budget) throws IOException {
        line = in.readLine(maxLine);
        pos = 0;
        this.budget = budget;
        return line;
    }

    /** The line being parsed: the command's first, or the one after its last literal. */
    public String line() { return line; }

    public boolean atEnd() { return pos >= line.length(); }

    /** Whether the next char is {@code c}. */
    public boolean at(char c) { return pos < line.length() && line.charAt(pos) == c; }

    /** Steps over one char (the caller has looked at it). */
    public void skip() { pos++; }

    /** Steps over {@code word} if it comes next, in any case (NIL). */
    public boolean skipWord(String word) {
        if (!line.regionMatches(true, pos, word, 0, word.length())) return false;
        pos += word.length();
        return true;
    }

    /** The chars from here while {@code ok} holds; "" when the next one does not. */
    public String takeWhile(IntPredicate ok) {
        int start = pos;
        while (pos < line.length() && ok.test(line.charAt(pos))) pos++;
        return line.substring(start, pos);
    }

    /**
     * A quoted string, the opening DQUOTE next (RFC 9051 §9, RFC 5804 §4):
     * <pre>
     * quoted          = DQUOTE *QUOTED-CHAR DQUOTE
     * QUOTED-CHAR     = any char but the forbidden ones and quoted-specials / "\" quoted-specials
     * quoted-specials = DQUOTE / "\"
     * </pre>
     */
    public String quoted() throws CommandSyntaxException {
        StringBuilder b = new StringBuilder();
        pos++;
        while (pos < line.length()) {
            char c = line.charAt(pos++);
            if (c == '"') return b.toString();
            if (c == '\\') {
                if (pos >= line.length()) break;
                c = line.charAt(pos++);
                if (c != '"' && c != '\\') throw error(Problem.QUOTED_BAD_ESCAPE, false);
            } else if (rules.forbiddenInQuoted().indexOf(c) >= 0) {
                throw error(Problem.QUOTED_BAD_CHAR, false);
            }
            if (b.length() >= rules.maxQuoted()) throw error(Problem.QUOTED_TOO_LONG, false);
            b.append(c);
        }
        throw error(Problem.QUOTED_UNTERMINATED, false);
    }

    /**
     * A literal, its "{" next: {@code "{" number ["+"] "}" CRLF *OCTET} at the end of the
     * line, then its bytes, then the line that continues the command becomes the line
     * being parsed. The size is checked against the limit and the budget before a byte is
     * read: a synchronizing literal that is refused never gets its continuation, so the
     * client sends nothing and the stream stays in step; a non-synchronizing one is on its
     * way already, and since it will not be read the error says to close (RFC 7888 §4 lets
     * the server choose).
     *
     * @throws EOFException the stream ended inside the command
     */
    public String literal() throws IOException, CommandSyntaxException {
        int close = line.indexOf('}', pos);
        if (close <= pos || close != line.length() - 1) throw error(Problem.LITERAL_NOT_AT_END, false);
        String spec = line.substring(pos + 1, close);
        boolean nonSync = spec.endsWith("+");
        boolean sync = rules.continuation() != null && !nonSync;
        String digits = nonSync ? spec.substring(0, spec.length() - 1) : spec;
        if (digits.isEmpty() || digits.length() > rules.maxSizeDigits() || !digits.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            throw error(Problem.LITERAL_BAD_SIZE, false);
        }
        long n = digits.length() > 18 ? Long.MAX_VALUE : Long.parseLong(digits);
        if (n > maxLiteral || n > budget) throw error(Problem.LITERAL_TOO_BIG, !sync);
        budget -= n;
        if (sync) in.write(rules.continuation());
        String value = new String(in.readExactly((int) n), StandardCharsets.ISO_8859_1);
        nextLine();
        return value;
    }

    /**
     * Reads and drops a non-synchronizing literal of {@code n} bytes the client sends anyway
     * after its command was refused, and the line after it, so its bytes are not taken for
     * commands. Bounded like {@link #literal()}.
     */
    public void dropLiteral(long n) throws IOException, CommandSyntaxException {
        if (n > maxLiteral || n > budget) throw error(Problem.LITERAL_TOO_BIG, true);
        budget -= n;
        in.readExactly((int) n);
        nextLine();
    }

    /** The line that continues a command after a literal. */
    private void nextLine() throws IOException, CommandSyntaxException {
        line = in.readLine(maxLine);
        if (line == null) throw new EOFException("end of stream inside a command");
        pos = 0;
        budget -= line.length();
        if (budget < 0) throw error(Problem.COMMAND_TOO_LONG, false);
    }

    private CommandSyntaxException error(Problem p, boolean close) {
        return new CommandSyntaxException(rules.wording().of(p), close);
    }
}
