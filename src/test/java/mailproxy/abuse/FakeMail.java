package mailproxy.abuse;

import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;

/**
 * Fake IMAP, POP3, SMTP and ManageSieve backends that take one password per user (the map) and
 * refuse everything else the way Dovecot and Postfix do; after a login they answer any
 * command with OK until LOGOUT/QUIT or the end of the stream. The proxy logs in to them
 * as configured by {@link #backendConfig()}: IMAP LOGIN with LITERAL+, POP3 USER/PASS,
 * SMTP AUTH PLAIN, ManageSieve AUTHENTICATE "PLAIN".
 */
final class FakeMail implements AutoCloseable {
    private static final Pattern LITERAL_AT_END = Pattern.compile("\\{(\\d{1,9})\\+?}$");

    private final Map<String, String> users;
    final ScriptedServer imap;
    final ScriptedServer pop3;
    final ScriptedServer smtp;
    final ScriptedServer sieve;

    FakeMail(Map<String, String> users) throws Exception {
        this.users = Map.copyOf(users);
        this.imap = new ScriptedServer(peer -> quietly(peer, this::imapSession));
        this.pop3 = new ScriptedServer(peer -> quietly(peer, this::pop3Session));
        this.smtp = new ScriptedServer(peer -> quietly(peer, this::smtpSession));
        this.sieve = new ScriptedServer(peer -> quietly(peer, this::sieveSession));
    }

    /** A backend named {@code b} that serves all four protocols from these fakes. */
    String backendConfig() {
        return ("backends { b { host = \"127.0.0.1\", imap { port = %d }, pop3 { port = %d }, smtp { port = %d, auth = plain },"
                + " sieve { port = %d } } }").formatted(imap.port(), pop3.port(), smtp.port(), sieve.port());
    }

    private boolean good(String user, String password) {
        return password != null && password.equals(users.get(user));
    }

    /** The proxy hanging up (a reset from a client's abort) ends a conversation; it is no failure. */
    private static void quietly(RawClient peer, ScriptedServer.Script script) throws Exception {
        peer.timeout(30_000);
        try {
            script.run(peer);
        } catch (SocketException gone) {
            // the proxy closed the connection: nothing more to say
        }
    }

    private void imapSession(RawClient c) throws Exception {
        c.send("* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR] fake imap ready\r\n");
        boolean in = false;
        String line;
        while ((line = c.readLine()) != null) {
            int sp = line.indexOf(' ');
            String tag = sp < 0 ? line : line.substring(0, sp);
            String rest = sp < 0 ? "" : line.substring(sp + 1);
            String verb = (rest.contains(" ") ? rest.substring(0, rest.indexOf(' ')) : rest).toUpperCase(Locale.ROOT);
            if (verb.equals("LOGOUT")) {
                c.send("* BYE fake logging out\r\n" + tag + " OK LOGOUT completed\r\n");
                return;
            }
            if (!in && verb.equals("LOGIN")) {
                List<String> args = literals(c, rest.substring(5));
                in = args.size() == 2 && good(args.get(0), args.get(1));
                c.send(tag + (in ? " OK [CAPABILITY IMAP4rev1 IDLE] Logged in" : " NO [AUTHENTICATIONFAILED] Authentication failed.") + "\r\n");
            } else {
                c.send(tag + " OK " + verb + " completed\r\n");
            }
        }
    }

    /** LOGIN's arguments as the proxy sends them: each a literal ({n+} at the end of a line). */
    private static List<String> literals(RawClient c, String rest) throws Exception {
        List<String> args = new ArrayList<>();
        for (Matcher m = LITERAL_AT_END.matcher(rest); m.find(); m = LITERAL_AT_END.matcher(rest)) {
            args.add(new String(c.readBytes(Integer.parseInt(m.group(1))), StandardCharsets.ISO_8859_1));
            rest = c.readLine();
            if (rest == null) break;
        }
        return args;
    }

    private void pop3Session(RawClient c) throws Exception {
        c.send("+OK fake pop3 ready\r\n");
        String user = null;
        boolean in = false;
        String line;
        while ((line = c.readLine()) != null) {
            String upper = line.toUpperCase(Locale.ROOT);
            if (upper.equals("QUIT")) {
                c.send("+OK fake signing off\r\n");
                return;
            }
            if (upper.equals("CAPA")) { // RFC 2449: asked for a token login; no SASL line, so USER/PASS
                c.send("+OK\r\nUSER\r\n.\r\n");
            } else if (!in && upper.startsWith("USER ")) {
                user = line.substring(5);
                c.send("+OK\r\n");
            } else if (!in && upper.startsWith("PASS ")) {
                in = good(user, line.substring(5));
                c.send(in ? "+OK Logged in.\r\n" : "-ERR [AUTH] Authentication failed.\r\n");
            } else {
                c.send("+OK\r\n");
            }
        }
    }

    private void smtpSession(RawClient c) throws Exception {
        c.send("220 fake ESMTP\r\n");
        int loginStep = 0;
        String loginUser = null;
        String line;
        while ((line = c.readLine()) != null) {
            String upper = line.toUpperCase(Locale.ROOT);
            if (loginStep == 1) {
                loginUser = decode(line);
                loginStep = 2;
                c.send("334 UGFzc3dvcmQ6\r\n");
            } else if (loginStep == 2) {
                loginStep = 0;
                c.send(good(loginUser, decode(line)) ? "235 2.7.0 Authentication successful\r\n" : "535 5.7.8 Error: authentication failed\r\n");
            } else if (upper.startsWith("EHLO")) {
                c.send("250-fake\r\n250-AUTH PLAIN LOGIN\r\n250 PIPELINING\r\n");
            } else if (upper.startsWith("AUTH PLAIN ")) {
                String[] parts = decode(line.substring(11)).split("\0", -1);
                boolean ok = parts.length == 3 && good(parts[1], parts[2]);
                c.send(ok ? "235 2.7.0 Authentication successful\r\n" : "535 5.7.8 Error: authentication failed\r\n");
            } else if (upper.equals("AUTH LOGIN")) {
                loginStep = 1;
                c.send("334 VXNlcm5hbWU6\r\n");
            } else if (upper.equals("QUIT")) {
                c.send("221 2.0.0 fake bye\r\n");
                return;
            } else {
                c.send("250 2.0.0 Ok\r\n");
            }
        }
    }

    /** RFC 5804: the proxy's AUTHENTICATE "PLAIN" with a quoted string, or a literal {n+} when longer. */
    private void sieveSession(RawClient c) throws Exception {
        c.send("\"IMPLEMENTATION\" \"fake\"\r\n\"SASL\" \"PLAIN\"\r\n\"VERSION\" \"1.0\"\r\nOK \"fake sieve ready\"\r\n");
        boolean in = false;
        String line;
        while ((line = c.readLine()) != null) {
            String upper = line.toUpperCase(Locale.ROOT);
            if (upper.equals("LOGOUT")) {
                c.send("OK \"Logout completed.\"\r\n");
                return;
            }
            if (!in && upper.startsWith("AUTHENTICATE \"PLAIN\" ")) {
                String arg = line.substring(21);
                Matcher literal = LITERAL_AT_END.matcher(arg);
                String response = literal.find() ? literals(c, arg).get(0) : arg.replace("\"", "");
                String[] parts = decode(response).split("\0", -1);
                in = parts.length == 3 && good(parts[1], parts[2]);
                c.send(in ? "OK \"Logged in.\"\r\n" : "NO \"Authentication failed.\"\r\n");
            } else {
                c.send("OK \"done\"\r\n");
            }
        }
    }

    private static String decode(String base64) {
        try {
            return new String(Base64.getDecoder().decode(base64.trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    @Override
    public void close() throws Exception {
        try (ScriptedServer a = imap; ScriptedServer b = pop3; ScriptedServer c = smtp; ScriptedServer d = sieve) {
            // closed in reverse order; a script's failure is rethrown
        }
    }
}
