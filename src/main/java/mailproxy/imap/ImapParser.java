package mailproxy.imap;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mailproxy.wire.Connection;

/**
 * Reads one whole IMAP command from a client before login: its first line, and for each
 * literal the continuation ("+ " for a synchronizing one), the literal's bytes and the
 * line that follows. Every read is bounded: a line by {@code maxLine} (the connection
 * throws), a literal by {@code maxLiteral}, a whole command by a byte budget; a literal's
 * size is checked before any of its bytes is read.
 *
 * <p>Strings are wire bytes as ISO-8859-1 chars: a UTF-8 password passes byte for byte.
 */
final class ImapParser {
    /** RFC 9051 §7.5: continue-req = "+" SP (resp-text / base64) CRLF. */
    static final String CONTINUE = "+ Ready for literal data\r\n";

    /** RFC 2971 §3.3: "Clients MUST NOT send more than 30 field-value pairs." */
    static final int MAX_ID_PAIRS = 30;

    /** A non-synchronizing literal at the end of a line: its bytes follow without a "+". */
    private static final Pattern NON_SYNC_LITERAL_AT_END = Pattern.compile("\\{(\\d{1,19})\\+}$");

    /** Commands of the authenticated and selected states (RFC 9051 §6.3, §6.4, and extensions). */
    private static final Set<String> AFTER_LOGIN = Set.of(
            "SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE", "LIST", "LSUB",
            "NAMESPACE", "STATUS", "APPEND", "IDLE", "ENABLE", "CHECK", "CLOSE", "UNSELECT", "EXPUNGE",
            "SEARCH", "FETCH", "STORE", "COPY", "MOVE", "UID", "GETQUOTA", "GETQUOTAROOT", "SETQUOTA",
            "GETACL", "SETACL", "DELETEACL", "LISTRIGHTS", "MYRIGHTS", "GETMETADATA", "SETMETADATA",
            "COMPRESS", "NOTIFY", "SORT", "THREAD");

    private final Connection in;
    private final int maxLine;
    private final int maxLiteral;
    private String line;
    private int pos;
    /** Bytes the rest of this command may still take in literals and continuation lines. */
    private long budget;

    ImapParser(Connection in, int maxLine, int maxLiteral) {
        this.in = in;
        this.maxLine = maxLine;
        this.maxLiteral = maxLiteral;
    }

    /**
     * Reads the next command.
     *
     * @return the command, or null at end of stream between commands
     * @throws mailproxy.wire.LineTooLongException     a line over the limit
     * @throws java.net.SocketTimeoutException on the connection's read timeout
     */
    ImapCommand read() throws IOException {
        line = in.readLine(maxLine);
        if (line == null) return null;
        pos = 0;
        // Enough for LOGIN with two literals of the largest size and their lines.
        budget = maxLine + 2L * maxLiteral;
        String tag = "*";
        try {
            tag = tag();
            if (pos >= line.length()) throw new Syntax("Missing command");
            sp();
            String keyword = atom("command").toUpperCase(Locale.ROOT);
            return command(tag, keyword);
        } catch (Syntax e) {
            ImapCommand.Invalid invalid = new ImapCommand.Invalid(tag, e.getMessage(), e.close);
            return e.close ? invalid : skipRest(invalid);
        }
    }

    private ImapCommand command(String tag, String keyword) throws IOException, Syntax {
        switch (keyword) {
            case "CAPABILITY" -> {
                end();
                return new ImapCommand.Capability(tag);
            }
            case "NOOP" -> {
                end();
                return new ImapCommand.Noop(tag);
            }
            case "LOGOUT" -> {
                end();
                return new ImapCommand.Logout(tag);
            }
            case "STARTTLS" -> {
                end();
                return new ImapCommand.StartTls(tag);
            }
            case "LOGIN" -> {
                // login = "LOGIN" SP userid SP password; userid = astring; password = astring
                sp();
                String user = astring();
                sp();
                String password = astring();
                end();
                return new ImapCommand.Login(tag, user, password);
            }
            case "AUTHENTICATE" -> {
                // authenticate = "AUTHENTICATE" SP auth-type [SP (base64 / "=")]   (RFC 4959 §3)
                sp();
                String mechanism = atom("mechanism");
                String initial = null;
                if (pos < line.length()) {
                    sp();
                    initial = token("initial response");
                }
                end();
                return new ImapCommand.Authenticate(tag, mechanism, initial);
            }
            case "ID" -> {
                sp();
                List<String> params = idParams();
                end();
                return new ImapCommand.Id(tag, params);
            }
            default -> {
                ImapCommand c = AFTER_LOGIN.contains(keyword)
                        ? new ImapCommand.NotYet(tag, keyword) : new ImapCommand.Unknown(tag, keyword);
                return skipRest(c);
            }
        }
    }

    /** tag = 1*<any ASTRING-CHAR except "+"> */
    private String tag() throws Syntax {
        int start = pos;
        while (pos < line.length() && astringChar(line.charAt(pos), false) && line.charAt(pos) != '+') pos++;
        if (pos == start || (pos < line.length() && line.charAt(pos) != ' ')) {
            throw new Syntax(line.isEmpty() ? "Empty command line" : "Invalid tag");
        }
        return line.substring(start, pos);
    }

    /** atom = 1*ATOM-CHAR (ASCII only: command names and mechanisms). */
    private String atom(String what) throws Syntax {
        int start = pos;
        while (pos < line.length() && atomChar(line.charAt(pos), false)) pos++;
        if (pos == start) throw new Syntax("Missing or invalid " + what);
        return line.substring(start, pos);
    }

    /** Up to the next space or the end of the line (base64 or "=", checked by the SASL code). */
    private String token(String what) throws Syntax {
        int start = pos;
        while (pos < line.length() && line.charAt(pos) > ' ' && line.charAt(pos) < 0x7f) pos++;
        if (pos == start) throw new Syntax("Missing or invalid " + what);
        return line.substring(start, pos);
    }

    /**
     * astring = 1*ASTRING-CHAR / string
     * ASTRING-CHAR = ATOM-CHAR / resp-specials
     * Bytes over 0x7F are taken in atoms too (as Dovecot does), so a UTF-8 password typed
     * without quotes still reaches the backend unchanged.
     */
    private String astring() throws IOException, Syntax {
        if (pos >= line.length()) throw new Syntax("Missing argument");
        char c = line.charAt(pos);
        if (c == '"' || c == '{') return string();
        int start = pos;
        while (pos < line.length() && astringChar(line.charAt(pos), true)) pos++;
        if (pos == start) throw new Syntax("Invalid argument");
        return line.substring(start, pos);
    }

    /** string = quoted / literal */
    private String string() throws IOException, Syntax {
        if (pos >= line.length()) throw new Syntax("Missing argument");
        return switch (line.charAt(pos)) {
            case '"' -> quoted();
            case '{' -> literal();
            default -> throw new Syntax("Expected a quoted string or a literal");
        };
    }

    /** nstring = string / nil */
    private String nstring() throws IOException, Syntax {
        if (line.regionMatches(true, pos, "NIL", 0, 3)) {
            pos += 3;
            return null;
        }
        return string();
    }

    /**
     * quoted          = DQUOTE *QUOTED-CHAR DQUOTE
     * QUOTED-CHAR     = &lt;any TEXT-CHAR except quoted-specials&gt; / "\" quoted-specials /
     *                   UTF8-2 / UTF8-3 / UTF8-4
     * quoted-specials = DQUOTE / "\"
     */
    private String quoted() throws Syntax {
        StringBuilder b = new StringBuilder();
        pos++;
        while (pos < line.length()) {
            char c = line.charAt(pos++);
            if (c == '"') return b.toString();
            if (c == '\\') {
                if (pos >= line.length()) break;
                char e = line.charAt(pos++);
                if (e != '"' && e != '\\') throw new Syntax("Invalid escape in quoted string");
                b.append(e);
            } else if (c == '\0' || c == '\r' || c == '\n') {
                throw new Syntax("Invalid character in quoted string");
            } else {
                b.append(c);
            }
        }
        throw new Syntax("Unterminated quoted string");
    }

    /**
     * literal = "{" number64 ["+"] "}" CRLF *CHAR8   (RFC 9051 §9; "+" RFC 7888 §3)
     * CHAR8   = %x01-ff
     * The size is checked against the limit before a byte of the literal is read: a
     * synchronizing literal that is refused never gets its "+", so the client sends
     * nothing; an oversized non-synchronizing one is already on its way, and since the
     * proxy will not read it the connection closes after the BAD (RFC 7888 §4 lets the
     * server choose).
     */
    private String literal() throws IOException, Syntax {
        int close = line.indexOf('}', pos);
        if (close != line.length() - 1) throw new Syntax("Invalid literal: '}' must end the line");
        String spec = line.substring(pos + 1, close);
        boolean sync = !spec.endsWith("+");
        String digits = sync ? spec : spec.substring(0, spec.length() - 1);
        if (digits.isEmpty() || !digits.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            throw new Syntax("Invalid literal size");
        }
        long n = digits.length() > 12 ? Long.MAX_VALUE : Long.parseLong(digits);
        if (n > maxLiteral || n > budget) throw new Syntax("Literal too big", !sync);
        budget -= n;
        if (sync) in.write(CONTINUE);
        String value = new String(in.readExactly((int) n), StandardCharsets.ISO_8859_1);
        nextLine();
        if (value.indexOf('\0') >= 0) throw new Syntax("NUL byte in literal");
        return value;
    }

    /** The line that continues a command after a literal. */
    private void nextLine() throws IOException, Syntax {
        line = in.readLine(maxLine);
        if (line == null) throw new EOFException("end of stream inside a command");
        pos = 0;
        budget -= line.length();
        if (budget < 0) throw new Syntax("Command too long");
    }

    /**
     * id_params_list ::= "(" #(string SPACE nstring) ")" / nil      (RFC 2971 §4)
     * Returned as field, value, field, value...; a NIL value is null.
     */
    private List<String> idParams() throws IOException, Syntax {
        List<String> params = new ArrayList<>();
        if (line.regionMatches(true, pos, "NIL", 0, 3)) {
            pos += 3;
            return params;
        }
        if (pos >= line.length() || line.charAt(pos) != '(') throw new Syntax("Expected ( or NIL");
        pos++;
        while (pos < line.length() && line.charAt(pos) != ')') {
            if (!params.isEmpty()) sp();
            if (params.size() / 2 >= MAX_ID_PAIRS) throw new Syntax("Too many ID fields");
            params.add(string());
            sp();
            params.add(nstring());
        }
        if (pos >= line.length()) throw new Syntax("Missing ) in ID");
        pos++;
        return params;
    }

    private void sp() throws Syntax {
        if (pos >= line.length() || line.charAt(pos) != ' ') throw new Syntax("Missing argument");
        pos++;
    }

    private void end() throws Syntax {
        if (pos != line.length()) throw new Syntax("Unexpected arguments");
    }

    /**
     * After a command is refused, reads and drops the rest of it: a non-synchronizing
     * literal at the end of the line is coming anyway, and its bytes must not be taken
     * for commands. A synchronizing literal waits for a "+" that is never sent.
     */
    private ImapCommand skipRest(ImapCommand reply) throws IOException {
        for (Matcher m = NON_SYNC_LITERAL_AT_END.matcher(line); m.find(); m = NON_SYNC_LITERAL_AT_END.matcher(line)) {
            long n = m.group(1).length() > 12 ? Long.MAX_VALUE : Long.parseLong(m.group(1));
            if (n > maxLiteral || n > budget) return new ImapCommand.Invalid(reply.tag(), "Literal too big", true);
            budget -= n;
            in.readExactly((int) n);
            try {
                nextLine();
            } catch (Syntax e) {
                return new ImapCommand.Invalid(reply.tag(), e.getMessage(), true);
            }
        }
        return reply;
    }

    /**
     * ATOM-CHAR = &lt;any CHAR except atom-specials&gt;
     * atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials
     */
    static boolean atomChar(char c, boolean eightBit) {
        if (c >= 0x80) return eightBit && c <= 0xff;
        if (c <= 0x20 || c == 0x7f) return false;
        return "(){%*\"\\]".indexOf(c) < 0;
    }

    static boolean astringChar(char c, boolean eightBit) {
        return c == ']' || atomChar(c, eightBit);
    }

    /** A syntax error: the reply text, and whether the connection can go on. */
    private static final class Syntax extends Exception {
        final boolean close;

        Syntax(String message) {
            this(message, false);
        }

        Syntax(String message, boolean close) {
            super(message, null, false, false);
            this.close = close;
        }
    }
}
