package mailproxy.sieve;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
 * protocol has no continuation for it. Every read is bounded: a line by {@code maxLine},
 * a literal by {@code maxLiteral}, checked before a byte of it is read.
 */
final class SieveParser {
    /** RFC 5804 §4: quoted strings hold at most 1024 characters. */
    static final int MAX_QUOTED = 1024;
    /** Arguments per command (PUTSCRIPT, the most, has two). */
    private static final int MAX_ARGS = 8;

    private final Connection in;
    private final int maxLine;
    private final int maxLiteral;
    private String line;
    private int pos;

    SieveParser(Connection in, int maxLine, int maxLiteral) {
        this.in = in;
        this.maxLine = maxLine;
        this.maxLiteral = maxLiteral;
    }

    /** The next command; null at end of stream between commands. */
    SieveCommand read() throws IOException {
        line = in.readLine(maxLine);
        if (line == null) return null;
        pos = 0;
        try {
            int start = pos;
            while (pos < line.length() && isAtomChar(line.charAt(pos))) pos++;
            if (pos == start) throw new Syntax("Expected a command name", false);
            String name = line.substring(start, pos).toUpperCase(Locale.ROOT);
            List<String> args = new ArrayList<>();
            while (pos < line.length()) {
                if (line.charAt(pos) != ' ') throw new Syntax("Expected a space between arguments", false);
                pos++;
                if (args.size() >= MAX_ARGS) throw new Syntax("Too many arguments", false);
                args.add(argument());
            }
            return new SieveCommand.Parsed(name, args);
        } catch (Syntax e) {
            return new SieveCommand.Invalid(e.getMessage(), e.close);
        }
    }

    /**
     * One string on a line of its own: the client's answer to an AUTHENTICATE challenge
     * (RFC 5804 §2.1: "*(CRLF string)"). Null at end of stream.
     *
     * @throws IOException the line is not one string (the exchange cannot go on)
     */
    String readString() throws IOException {
        line = in.readLine(maxLine);
        if (line == null) return null;
        pos = 0;
        try {
            String s = string();
            if (pos != line.length()) throw new Syntax("Expected one string", false);
            return s;
        } catch (Syntax e) {
            throw new MalformedResponse(e.getMessage());
        }
    }

    /** Thrown by {@link #readString()} for a response that is not a string. */
    static final class MalformedResponse extends IOException {
        MalformedResponse(String message) {
            super(message);
        }
    }

    private String argument() throws IOException, Syntax {
        if (pos < line.length() && (line.charAt(pos) == '"' || line.charAt(pos) == '{')) return string();
        // number = 1*DIGIT (HAVESPACE's size); anything else as an atom, for the command to judge
        int start = pos;
        while (pos < line.length() && isAtomChar(line.charAt(pos))) pos++;
        if (pos == start) throw new Syntax("Expected an argument", false);
        return line.substring(start, pos);
    }

    private String string() throws IOException, Syntax {
        if (pos >= line.length()) throw new Syntax("Expected a string", false);
        return line.charAt(pos) == '"' ? quoted() : literal();
    }

    private String quoted() throws Syntax {
        StringBuilder b = new StringBuilder();
        pos++;
        while (pos < line.length()) {
            char c = line.charAt(pos++);
            if (c == '"') return b.toString();
            if (c == '\\') {
                if (pos >= line.length()) break;
                c = line.charAt(pos++);
                if (c != '"' && c != '\\') throw new Syntax("Bad escape in a quoted string", false);
            } else if (c == '\0') {
                throw new Syntax("NUL in a quoted string", false);
            }
            if (b.length() >= MAX_QUOTED) throw new Syntax("Quoted string too long", false);
            b.append(c);
        }
        throw new Syntax("Unterminated quoted string", false);
    }

    /** "{" number ["+"] "}" at the end of the line, then that many bytes, then the line goes on. */
    private String literal() throws IOException, Syntax {
        int close = line.indexOf('}', pos);
        if (close != line.length() - 1) throw new Syntax("A literal must end the line", false);
        String n = line.substring(pos + 1, close);
        if (n.endsWith("+")) n = n.substring(0, n.length() - 1);
        if (n.isEmpty() || n.length() > 10 || !n.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new Syntax("Bad literal length", false);
        }
        long size = Long.parseLong(n);
        // its bytes are on their way already: the stream cannot be kept in step
        if (size > maxLiteral) throw new Syntax("Literal too big", true);
        String value = new String(in.readExactly((int) size), StandardCharsets.ISO_8859_1);
        line = in.readLine(maxLine);
        if (line == null) throw new EOFException("end of stream inside a command");
        pos = 0;
        return value;
    }

    /** Command names and atoms: printable ASCII but for the specials. */
    private static boolean isAtomChar(char c) {
        return c > 0x20 && c < 0x7f && c != '"' && c != '{' && c != '}' && c != '(' && c != ')' && c != '\\';
    }

    private static final class Syntax extends Exception {
        final boolean close;

        Syntax(String message, boolean close) {
            super(message, null, false, false);
            this.close = close;
        }
    }
}
