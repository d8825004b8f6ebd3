package mailproxy.sieve;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import mailproxy.wire.CommandReader;
import mailproxy.wire.CommandSyntaxException;
import mailproxy.wire.Connection;

/**
 * Reads ManageSieve commands and strings from a client before login (RFC 5804 §4):
 * <pre>
 * command      = command-name *(SP argument) CRLF
 * string       = quoted / literal-c2s
 * quoted       = DQUOTE *1024QUOTED-CHAR DQUOTE
 * QUOTED-CHAR  = SAFE-UTF8-CHAR / "\" QUOTED-SPECIALS      ; QUOTED-SPECIALS = DQUOTE / "\"
 * literal-c2s  = "{" number "+}" CRLF *OCTET
 * </pre>
 * A client literal is non-synchronizing ({n+}); {n} is taken the same way, since the
 * protocol has no continuation for it. The reading and its bounds are
 * {@link CommandReader}'s, shared with IMAP: a line by {@code maxLine}, a literal by
 * {@code maxLiteral}, checked before a byte of it is read. The grammar and the words of
 * the replies are this class's.
 */
final class SieveParser {
    /** RFC 5804 §4: quoted strings hold at most 1024 characters. */
    static final int MAX_QUOTED = 1024;
    /** Arguments per command (PUTSCRIPT, the most, has two). */
    private static final int MAX_ARGS = 8;
    /**
     * No continuation (every client literal is {n+}); quoted strings of at most 1024
     * characters without a NUL; a literal's size (number) of at most 10 digits (RFC 5804 §4:
     * number = 1*DIGIT, "in the range 0 - 4,294,967,295").
     */
    private static final CommandReader.Rules RULES =
            new CommandReader.Rules(null, MAX_QUOTED, "\0", 10, SieveParser::wording);

    private final CommandReader in;

    SieveParser(Connection in, int maxLine, int maxLiteral) {
        this.in = new CommandReader(in, maxLine, maxLiteral, RULES);
    }

    /** The next command; null at end of stream between commands. */
    SieveCommand read() throws IOException {
        if (in.begin(CommandReader.NO_BUDGET) == null) return null;
        try {
            String name = in.takeWhile(SieveParser::isAtomChar).toUpperCase(Locale.ROOT);
            if (name.isEmpty()) throw new CommandSyntaxException("Expected a command name");
            List<String> args = new ArrayList<>();
            while (!in.atEnd()) {
                if (!in.at(' ')) throw new CommandSyntaxException("Expected a space between arguments");
                in.skip();
                if (args.size() >= MAX_ARGS) throw new CommandSyntaxException("Too many arguments");
                args.add(argument());
            }
            return new SieveCommand.Parsed(name, args);
        } catch (CommandSyntaxException e) {
            return new SieveCommand.Invalid(e.getMessage(), e.close());
        }
    }

    /**
     * One string on a line of its own: the client's answer to an AUTHENTICATE challenge
     * (RFC 5804 §2.1: "*(CRLF string)"). Null at end of stream.
     *
     * @throws IOException the line is not one string (the exchange cannot go on)
     */
    String readString() throws IOException {
        if (in.begin(CommandReader.NO_BUDGET) == null) return null;
        try {
            String s = string();
            if (!in.atEnd()) throw new CommandSyntaxException("Expected one string");
            return s;
        } catch (CommandSyntaxException e) {
            throw new MalformedResponse(e.getMessage());
        }
    }

    /** Thrown by {@link #readString()} for a response that is not a string. */
    static final class MalformedResponse extends IOException {
        MalformedResponse(String message) {
            super(message);
        }
    }

    /** The reply texts of the reader's problems (RFC 5804 §1.3: a NO's text is ours). */
    private static String wording(CommandReader.Problem p) {
        return switch (p) {
            case QUOTED_BAD_ESCAPE -> "Bad escape in a quoted string";
            case QUOTED_BAD_CHAR -> "NUL in a quoted string";
            case QUOTED_TOO_LONG -> "Quoted string too long";
            case QUOTED_UNTERMINATED -> "Unterminated quoted string";
            case LITERAL_NOT_AT_END -> "A literal must end the line";
            case LITERAL_BAD_SIZE -> "Bad literal length";
            case LITERAL_TOO_BIG -> "Literal too big";
            case COMMAND_TOO_LONG -> "Command too long";
        };
    }

    private String argument() throws IOException, CommandSyntaxException {
        if (in.at('"') || in.at('{')) return string();
        // number = 1*DIGIT (HAVESPACE's size); anything else as an atom, for the command to judge
        String atom = in.takeWhile(SieveParser::isAtomChar);
        if (atom.isEmpty()) throw new CommandSyntaxException("Expected an argument");
        return atom;
    }

    /** A quoted string, or else a literal: "{" number ["+"] "}" at the end of the line, its bytes, and the line goes on. */
    private String string() throws IOException, CommandSyntaxException {
        if (in.atEnd()) throw new CommandSyntaxException("Expected a string");
        return in.at('"') ? in.quoted() : in.literal();
    }

    /** Command names and atoms: printable ASCII but for the specials. */
    private static boolean isAtomChar(int c) {
        return c > 0x20 && c < 0x7f && c != '"' && c != '{' && c != '}' && c != '(' && c != ')' && c != '\\';
    }
}
