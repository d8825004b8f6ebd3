package mailproxy.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fake IMAP and POP3 backends with fixed, known texts (for transcripts of the proxy's
 * trace and for counting tests): they accept one password for every user and refuse any
 * other, then answer commands until LOGOUT / QUIT.
 */
public final class FakeMail {
    private static final Pattern LITERAL = Pattern.compile("\\{(\\d+)(\\+?)}$");
    public static final String IMAP_GREETING = "* OK [CAPABILITY IMAP4rev1 LITERAL+] fake imap ready";
    public static final String POP3_GREETING = "+OK fake pop3 ready";

    private FakeMail() {}

    /** IMAP: LOGIN with literals (the proxy's way) or quoted strings; {@code password} is right for everyone. */
    public static ScriptedServer imap(String password) throws IOException {
        return new ScriptedServer(c -> {
            c.send(IMAP_GREETING + "\r\n");
            String line;
            while ((line = c.readLine()) != null) {
                String tag = line.substring(0, Math.max(0, line.indexOf(' ')));
                String rest = line.substring(line.indexOf(' ') + 1);
                if (rest.toUpperCase().startsWith("LOGIN ")) {
                    List<String> args = loginArgs(c, rest.substring(6));
                    if (args.size() == 2 && args.get(1).equals(password)) {
                        c.send(tag + " OK [CAPABILITY IMAP4rev1] fake logged in\r\n");
                    } else {
                        c.send(tag + " NO [AUTHENTICATIONFAILED] fake says no\r\n");
                    }
                } else if (rest.equalsIgnoreCase("LOGOUT")) {
                    c.send("* BYE fake logging out\r\n" + tag + " OK LOGOUT completed\r\n");
                    return;
                } else if (rest.toUpperCase().startsWith("NOOP")) {
                    c.send(tag + " OK NOOP completed\r\n");
                } else {
                    c.send(tag + " OK done\r\n");
                }
            }
        });
    }

    private static List<String> loginArgs(RawClient c, String rest) throws IOException {
        List<String> args = new ArrayList<>();
        while (true) {
            rest = rest.strip();
            if (rest.isEmpty()) return args;
            Matcher m = LITERAL.matcher(rest);
            if (m.find() && m.start() == 0) {
                if (m.group(2).isEmpty()) c.send("+ go on\r\n");
                args.add(new String(c.readBytes(Integer.parseInt(m.group(1))), StandardCharsets.ISO_8859_1));
                rest = c.readLine();
                continue;
            }
            int end;
            if (rest.startsWith("\"")) {
                end = rest.indexOf('"', 1);
                args.add(rest.substring(1, end));
                end++;
            } else {
                end = rest.indexOf(' ') < 0 ? rest.length() : rest.indexOf(' ');
                args.add(rest.substring(0, end));
            }
            rest = rest.substring(end);
        }
    }

    /** POP3: USER/PASS; {@code password} is right for everyone. */
    public static ScriptedServer pop3(String password) throws IOException {
        return new ScriptedServer(c -> {
            c.send(POP3_GREETING + "\r\n");
            String line;
            while ((line = c.readLine()) != null) {
                String upper = line.toUpperCase();
                if (upper.startsWith("USER ")) {
                    c.send("+OK\r\n");
                } else if (upper.startsWith("PASS ")) {
                    c.send(line.substring(5).equals(password) ? "+OK fake logged in\r\n" : "-ERR [AUTH] fake says no\r\n");
                } else if (upper.equals("QUIT")) {
                    c.send("+OK fake bye\r\n");
                    return;
                } else {
                    c.send("+OK " + line + " done\r\n");
                }
            }
        });
    }
}
