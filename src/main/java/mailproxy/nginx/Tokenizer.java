package mailproxy.nginx;

/**
 * Splits nginx config text into words, quoted strings and the separators {@code ; { }},
 * following nginx's own reader (src/core/ngx_conf_file.c, ngx_conf_read_token): a word ends
 * at white space, {@code ;} or {@code {}; {@code #} starts a comment only where a token could
 * start; inside a word {@code ${name}} keeps its braces; a backslash takes the next character
 * as it is; after a closing quote must come white space, {@code ;} or {@code {}. Escapes
 * {@code \" \' \\ \t \r \n} are decoded, any other backslash pair is kept as written.
 */
final class Tokenizer {
    /** nginx reads a token into a 4 KB buffer and refuses longer ones ("too long parameter"). */
    static final int MAX_TOKEN = 4096;

    enum Kind { WORD, SEMICOLON, OPEN, CLOSE, END }

    record Token(Kind kind, String text, int line) {}

    private final String text;
    private final String file;
    private int pos;
    private int line = 1;

    Tokenizer(String text, String file) {
        this.text = text;
        this.file = file;
    }

    Token next() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '\n') {
                line++;
                pos++;
            } else if (c == ' ' || c == '\t' || c == '\r') {
                pos++;
            } else if (c == '#') {
                while (pos < text.length() && text.charAt(pos) != '\n') pos++;
            } else {
                break;
            }
        }
        if (pos >= text.length()) return new Token(Kind.END, "", line);
        char c = text.charAt(pos);
        int start = line;
        switch (c) {
            case ';' -> { pos++; return new Token(Kind.SEMICOLON, ";", start); }
            case '{' -> { pos++; return new Token(Kind.OPEN, "{", start); }
            case '}' -> { pos++; return new Token(Kind.CLOSE, "}", start); }
            case '"', '\'' -> { return quoted(c, start); }
            default -> { return word(start); }
        }
    }

    private Token quoted(char quote, int start) {
        StringBuilder b = new StringBuilder();
        pos++;
        while (true) {
            if (pos >= text.length()) throw error(start, "unexpected end of file, expecting " + quote);
            char c = text.charAt(pos);
            if (c == quote) {
                pos++;
                break;
            }
            if (c == '\\' && pos + 1 < text.length()) {
                escape(b);
            } else {
                if (c == '\n') line++;
                b.append(c);
                pos++;
            }
            if (b.length() > MAX_TOKEN) throw error(start, "too long parameter, probably missing terminating " + quote);
        }
        if (pos < text.length()) {
            char after = text.charAt(pos);
            if (!(after == ' ' || after == '\t' || after == '\r' || after == '\n' || after == ';' || after == '{')) {
                throw error(line, "unexpected \"" + after + "\" after a quoted string");
            }
        }
        return new Token(Kind.WORD, b.toString(), start);
    }

    private Token word(int start) {
        StringBuilder b = new StringBuilder();
        boolean variable = false;
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '{' && variable) {
                // ${name}: the braces belong to the word, up to the closing one
                int close = text.indexOf('}', pos);
                int nl = text.indexOf('\n', pos);
                if (close < 0 || (nl >= 0 && nl < close)) throw error(line, "the closing bracket in a variable is missing");
                b.append(text, pos, close + 1);
                pos = close + 1;
                variable = false;
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '{') break;
            variable = c == '$';
            if (c == '\\' && pos + 1 < text.length()) {
                escape(b);
            } else {
                b.append(c);
                pos++;
            }
            if (b.length() > MAX_TOKEN) throw error(start, "too long parameter");
        }
        return new Token(Kind.WORD, b.toString(), start);
    }

    /** At a backslash: decode the pair nginx decodes, keep any other pair as written. */
    private void escape(StringBuilder b) {
        char n = text.charAt(pos + 1);
        switch (n) {
            case '"', '\'', '\\' -> b.append(n);
            case 't' -> b.append('\t');
            case 'r' -> b.append('\r');
            case 'n' -> b.append('\n');
            default -> {
                if (n == '\n') line++;
                b.append('\\').append(n);
            }
        }
        pos += 2;
    }

    NginxConfigException error(int at, String message) {
        return NginxConfigException.at(new Source(file, at), message);
    }
}
