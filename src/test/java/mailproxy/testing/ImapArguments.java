package mailproxy.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The arguments of a command line as a fake IMAP or ManageSieve server reads them: atoms,
 * quoted strings (RFC 9051 §4.3) and literals, synchronizing or not (RFC 7888 LITERAL+,
 * RFC 5804 §4); a literal's value is read from the stream and the line goes on after it.
 * The one literal reader of the fixtures.
 */
public final class ImapArguments {
    private static final Pattern LITERAL = Pattern.compile("\\{(\\d{1,9})(\\+?)}$");

    private ImapArguments() {}

    /**
     * The arguments in {@code rest} and the lines its literals lead to; {@code go} answers
     * a synchronizing literal (null: never, as a ManageSieve server that takes them all at
     * once). Null at end of stream.
     */
    public static List<String> read(RawClient c, String rest, String go) throws IOException {
        List<String> args = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            rest = rest.stripLeading();
            if (rest.isEmpty()) return args;
            Matcher literal = LITERAL.matcher(rest);
            int end;
            if (rest.indexOf(' ') < 0 && !rest.startsWith("\"") && literal.find()) {
                // the last token; a literal announced right after an atom ("x{3}") is read as one too
                if (literal.group(2).isEmpty() && go != null) c.line(go);
                args.add(new String(c.readBytes(Integer.parseInt(literal.group(1))), StandardCharsets.ISO_8859_1));
                rest = c.readLine();
                if (rest == null) return null;
                continue;
            } else if (rest.startsWith("\"")) {
                StringBuilder quoted = new StringBuilder();
                for (end = 1; end < rest.length() && rest.charAt(end) != '"'; end++) {
                    if (rest.charAt(end) == '\\' && end + 1 < rest.length()) end++;
                    quoted.append(rest.charAt(end));
                }
                args.add(quoted.toString());
                end++;
            } else {
                end = rest.indexOf(' ') < 0 ? rest.length() : rest.indexOf(' ');
                args.add(rest.substring(0, end));
            }
            rest = rest.substring(Math.min(end, rest.length()));
        }
        throw new AssertionError("more than 1000 arguments");
    }
}
