package mailproxy.imap;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mailproxy.wire.CommandReader;
import mailproxy.wire.CommandSyntaxException;
import mailproxy.wire.Connection;

/**
 * Reads one whole IMAP command from a client before login: its first line, and for each
 * literal the continuation ("+ " for a synchronizing one), the literal's bytes and the
 * line that follows. The reading and its bounds are {@link CommandReader}'s, shared with
 * ManageSieve: a line by {@code maxLine} (the connection throws), a literal by
 * {@code maxLiteral}, a whole command by a byte budget; a literal's size is checked before
 * any of its bytes is read. The grammar (RFC 9051 §9) and the words of the replies are
 * this class's.
 *
 * <p>Strings are wire bytes as ISO-8859-1 chars: a UTF-8 password passes byte for byte.
 */
final class ImapParser {
    /** RFC 9051 §7.5: continue-req = "+" SP (resp-text / base64) CRLF. */
    static final String CONTINUE = "+ Ready for literal data\r\n";

    /** RFC 2971 §3.3: "Clients MUST NOT send more than 30 field-value pairs." */
    static final int MAX_ID_PAIRS = 30;

    /**
     * RFC 9051 §4.3: a literal is synchronizing ({n}, after a "+") or, RFC 7888 §3, not
     * ({n+}); a quoted string holds no CR, LF or NUL (QUOTED-CHAR is a TEXT-CHAR, §9); a
     * literal's size (number64) is any run of digits, and one over the limit is too big.
     */
    private static final CommandReader.Rules RULES =
            new CommandReader.Rules(CONTINUE, Integer.MAX_VALUE, "\0\r\n", Integer.MAX_VALUE, ImapParser::wording);

    /** A non-synchronizing literal at the end of a line: its bytes follow without a "+". */
    private static final Pattern NON_SYNC_LITERAL_AT_END = Pattern.compile("\\{(\\d{1,19})\\+}$");

    /** Commands of the authenticated and selected states (RFC 9051 §6.3, §6.4, and extensions). */
    private static final Set<String> AFTER_LOGIN = Set.of(
            "SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE", "LIST", "LSUB",
            "NAMESPACE", "STATUS", "APPEND", "IDLE", "ENABLE", "CHECK", "CLOSE", "UNSELECT", "EXPUNGE",
            "SEARCH", "FETCH", "STORE", "COPY", "MOVE", "UID", "GETQUOTA", "GETQUOTAROOT", "SETQUOTA",
            "GETACL", "SETACL", "DELETEACL", "LISTRIGHTS", "MYRIGHTS", "GETMETADATA", "SETMETADATA",
            "COMPRESS", "NOTIFY", "SORT", "THREAD");

    private final CommandReader in;
    private final long budget;

    ImapParser(Connection in, int maxLine, int maxLiteral) {
        this.in = new CommandReader(in, maxLine, maxLiteral, RULES);
        // Enough for LOGIN with two literals of the largest size and their lines.
        this.budget = maxLine + 2L * maxLiteral;
    }

    /**
     * Reads the next command.
     *
     * @return the command, or null at end of stream between commands
     * @throws mailproxy.wire.LineTooLongException     a line over the limit
     * @throws java.net.SocketTimeoutException on the connection's read timeout
     */
    ImapCommand read() throws IOException {
        if (in.begin(budget) == null) return null;
        String tag = "*";
        try {
            tag = tag();
            if (in.atEnd()) throw new CommandSyntaxException("Missing command");
            sp();
            String keyword = atom("command").toUpperCase(Locale.ROOT);
            return command(tag, keyword);
        } catch (CommandSyntaxException e) {
            ImapCommand.Invalid invalid = new ImapCommand.Invalid(tag, e.getMessage(), e.close());
            return e.close() ? invalid : skipRest(invalid);
        }
    }

    /** The reply texts of the reader's problems (RFC 9051 §7.1.5: BAD, the text is ours). */
    private static String wording(CommandReader.Problem p) {
        return switch (p) {
            case QUOTED_BAD_ESCAPE -> "Invalid escape in quoted string";
            case QUOTED_BAD_CHAR -> "Invalid character in quoted string";
            case QUOTED_TOO_LONG -> "Quoted string too long";
            case QUOTED_UNTERMINATED -> "Unterminated quoted string";
            case LITERAL_NOT_AT_END -> "Invalid literal: '}' must end the line";
            case LITERAL_BAD_SIZE -> "Invalid literal size";
            case LITERAL_TOO_BIG -> "Literal too big";
            case COMMAND_TOO_LONG -> "Command too long";
        };
    }

    private ImapCommand command(String tag, String keyword) throws IOException, CommandSyntaxException {
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
                if (!in.atEnd()) {
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
    private String tag() throws CommandSyntaxException {
        String tag = in.takeWhile(c -> astringChar((char) c, false) && c != '+');
        if (tag.isEmpty() || (!in.atEnd() && !in.at(' '))) {
            throw new CommandSyntaxException(in.line().isEmpty() ? "Empty command line" : "Invalid tag");
        }
        return tag;
    }

    /** atom = 1*ATOM-CHAR (ASCII only: command names and mechanisms). */
    private String atom(String what) throws CommandSyntaxException {
        String atom = in.takeWhile(c -> atomChar((char) c, false));
        if (atom.isEmpty()) throw new CommandSyntaxException("Missing or invalid " + what);
        return atom;
    }

    /** Up to the next space or the end of the line (base64 or "=", checked by the SASL code). */
    private String token(String what) throws CommandSyntaxException {
        String token = in.takeWhile(c -> c > ' ' && c < 0x7f);
        if (token.isEmpty()) throw new CommandSyntaxException("Missing or invalid " + what);
        return token;
    }

    /**
     * astring = 1*ASTRING-CHAR / string
     * ASTRING-CHAR = ATOM-CHAR / resp-specials
     * Bytes over 0x7F are taken in atoms too (as Dovecot does), so a UTF-8 password typed
     * without quotes still reaches the backend unchanged.
     */
    private String astring() throws IOException, CommandSyntaxException {
        if (in.atEnd()) throw new CommandSyntaxException("Missing argument");
        if (in.at('"') || in.at('{')) return string();
        String atom = in.takeWhile(c -> astringChar((char) c, true));
        if (atom.isEmpty()) throw new CommandSyntaxException("Invalid argument");
        return atom;
    }

    /** string = quoted / literal */
    private String string() throws IOException, CommandSyntaxException {
        if (in.atEnd()) throw new CommandSyntaxException("Missing argument");
        if (in.at('"')) return in.quoted();
        if (in.at('{')) return literal();
        throw new CommandSyntaxException("Expected a quoted string or a literal");
    }

    /** nstring = string / nil */
    private String nstring() throws IOException, CommandSyntaxException {
        return in.skipWord("NIL") ? null : string();
    }

    /**
     * literal = "{" number64 ["+"] "}" CRLF *CHAR8   (RFC 9051 §9; "+" RFC 7888 §3)
     * CHAR8   = %x01-ff: a NUL in a literal is refused once it has been read.
     */
    private String literal() throws IOException, CommandSyntaxException {
        String value = in.literal();
        if (value.indexOf('\0') >= 0) throw new CommandSyntaxException("NUL byte in literal");
        return value;
    }

    /**
     * id_params_list ::= "(" #(string SPACE nstring) ")" / nil      (RFC 2971 §4)
     * Returned as field, value, field, value...; a NIL value is null.
     */
    private List<String> idParams() throws IOException, CommandSyntaxException {
        List<String> params = new ArrayList<>();
        if (in.skipWord("NIL")) return params;
        if (!in.at('(')) throw new CommandSyntaxException("Expected ( or NIL");
        in.skip();
        while (!in.atEnd() && !in.at(')')) {
            if (!params.isEmpty()) sp();
            if (params.size() / 2 >= MAX_ID_PAIRS) throw new CommandSyntaxException("Too many ID fields");
            params.add(string());
            sp();
            params.add(nstring());
        }
        if (in.atEnd()) throw new CommandSyntaxException("Missing ) in ID");
        in.skip();
        return params;
    }

    private void sp() throws CommandSyntaxException {
        if (!in.at(' ')) throw new CommandSyntaxException("Missing argument");
        in.skip();
    }

    private void end() throws CommandSyntaxException {
        if (!in.atEnd()) throw new CommandSyntaxException("Unexpected arguments");
    }

    /**
     * After a command is refused, reads and drops the rest of it: a non-synchronizing
     * literal at the end of the line is coming anyway, and its bytes must not be taken
     * for commands. A synchronizing literal waits for a "+" that is never sent.
     */
    private ImapCommand skipRest(ImapCommand reply) throws IOException {
        for (Matcher m = NON_SYNC_LITERAL_AT_END.matcher(in.line()); m.find(); m = NON_SYNC_LITERAL_AT_END.matcher(in.line())) {
            long n = m.group(1).length() > 12 ? Long.MAX_VALUE : Long.parseLong(m.group(1));
            try {
                in.dropLiteral(n);
            } catch (CommandSyntaxException e) {
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
}
