package mailproxy.abuse;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import mailproxy.testing.RawClient;

/**
 * The client's side of {@link PasswordsNeverLoggedTest}: every password mechanism of every
 * protocol, spoken as a client speaks it (the greeting, the login in each syntactic form,
 * a refused token's error challenge answered, a second login inside the relay, the end).
 */
final class Logins {
    private Logins() {}

    /**
     * protocol → mechanisms of the client side; each gets its own user and passwords. A
     * token (OAUTHBEARER, XOAUTH2, RFC 7628) is a password here: the fakes announce no token
     * mechanism, so the proxy logs in to them with the token as the password.
     */
    static final Map<String, List<String>> MECHANISMS = Map.of(
            "imap", List.of("login-atom", "login-quoted", "login-literal", "plain-ir", "plain", "login", "oauthbearer", "xoauth2"),
            "pop3", List.of("user-pass", "plain-ir", "plain", "login", "oauthbearer", "xoauth2"),
            "smtp", List.of("plain-ir", "plain", "login", "login-ir", "oauthbearer", "xoauth2"),
            "sieve", List.of("plain-quoted", "plain-literal", "plain", "login", "oauthbearer", "xoauth2"));

    /** RFC 7628 §3.1: gs2-header, then auth=Bearer. */
    static String oauthbearer(String user, String token) {
        return "n,a=" + user + ",\u0001auth=Bearer " + token + "\u0001\u0001";
    }

    /** Google's XOAUTH2: user=, then auth=Bearer. */
    static String xoauth2(String user, String token) {
        return "user=" + user + "\u0001auth=Bearer " + token + "\u0001\u0001";
    }

    static RawClient open(String protocol, InetSocketAddress a) throws IOException {
        RawClient c = RawClient.connect(a);
        c.readLine(); // greeting (ManageSieve: its first capability)
        if (protocol.equals("imap")) { // logged at debug level
            c.line("i ID (\"name\" \"password-test\")");
            c.expect("* ID");
            c.expect("i OK");
        }
        if (protocol.equals("smtp")) {
            c.line("EHLO client.example");
            while (!c.expect("250").startsWith("250 ")) {
                // EHLO lines
            }
        }
        if (protocol.equals("sieve")) {
            for (String l = c.readLine(); !l.startsWith("OK"); l = c.readLine()) {
                // the capabilities after the first line, up to the OK (RFC 5804 §1.7)
            }
        }
        return c;
    }

    /** One login by the case's mechanism; the final reply line. */
    static String login(RawClient c, String protocol, String mechanism, String user, String password) throws IOException {
        if (mechanism.equals("oauthbearer") || mechanism.equals("xoauth2")) return tokenLogin(c, protocol, mechanism, user, password);
        String u64 = b64(user);
        String p64 = b64(password);
        String plain = b64("\0" + user + "\0" + password);
        switch (protocol) {
            case "imap" -> {
                switch (mechanism) {
                    case "login-atom" -> c.line("t LOGIN " + user + " " + password);
                    case "login-quoted" -> c.line("t LOGIN \"" + user + "\" \"" + password + "\"");
                    case "login-literal" -> {
                        c.line("t LOGIN {" + user.length() + "}");
                        c.expect("+");
                        c.line(user + " {" + password.length() + "}");
                        c.expect("+");
                        c.line(password);
                    }
                    case "plain-ir" -> c.line("t AUTHENTICATE PLAIN " + plain);
                    case "plain" -> {
                        c.line("t AUTHENTICATE PLAIN");
                        c.expect("+");
                        c.line(plain);
                    }
                    default -> {
                        c.line("t AUTHENTICATE LOGIN");
                        c.expect("+");
                        c.line(u64);
                        c.expect("+");
                        c.line(p64);
                    }
                }
                String line;
                do {
                    line = c.readLine();
                } while (line != null && !line.startsWith("t "));
                return line;
            }
            case "pop3" -> {
                switch (mechanism) {
                    case "user-pass" -> {
                        c.line("USER " + user);
                        c.expect("+OK");
                        c.line("PASS " + password);
                    }
                    case "plain-ir" -> c.line("AUTH PLAIN " + plain);
                    case "plain" -> {
                        c.line("AUTH PLAIN");
                        c.expect("+");
                        c.line(plain);
                    }
                    default -> {
                        c.line("AUTH LOGIN");
                        c.expect("+");
                        c.line(u64);
                        c.expect("+");
                        c.line(p64);
                    }
                }
                return c.readLine();
            }
            case "sieve" -> {
                // RFC 5804 §2.1: the initial response and the answers to challenges are strings
                switch (mechanism) {
                    case "plain-quoted" -> c.line("AUTHENTICATE \"PLAIN\" \"" + plain + "\"");
                    case "plain-literal" -> c.send("AUTHENTICATE \"PLAIN\" {" + plain.length() + "+}\r\n" + plain + "\r\n");
                    case "plain" -> {
                        c.line("AUTHENTICATE \"PLAIN\"");
                        c.expect("\"");
                        c.line("\"" + plain + "\"");
                    }
                    default -> {
                        c.line("AUTHENTICATE \"LOGIN\"");
                        c.expect("\"");
                        c.line("\"" + u64 + "\"");
                        c.expect("\"");
                        c.line("\"" + p64 + "\"");
                    }
                }
                return c.readLine();
            }
            default -> {
                switch (mechanism) {
                    case "plain-ir" -> c.line("AUTH PLAIN " + plain);
                    case "plain" -> {
                        c.line("AUTH PLAIN");
                        c.expect("334");
                        c.line(plain);
                    }
                    case "login-ir" -> {
                        c.line("AUTH LOGIN " + u64);
                        c.expect("334");
                        c.line(p64);
                    }
                    default -> {
                        c.line("AUTH LOGIN");
                        c.expect("334");
                        c.line(u64);
                        c.expect("334");
                        c.line(p64);
                    }
                }
                return c.readLine();
            }
        }
    }

    /** A token login with the initial response; a refused token's error challenge (RFC 7628 §3.2.2) answered. */
    static String tokenLogin(RawClient c, String protocol, String mechanism, String user, String token) throws IOException {
        boolean bearer = mechanism.equals("oauthbearer");
        String name = bearer ? "OAUTHBEARER" : "XOAUTH2";
        String ir = b64(bearer ? oauthbearer(user, token) : xoauth2(user, token));
        c.line(switch (protocol) {
            case "imap" -> "t AUTHENTICATE " + name + " " + ir;
            case "sieve" -> "AUTHENTICATE \"" + name + "\" \"" + ir + "\"";
            default -> "AUTH " + name + " " + ir;
        });
        String reply = c.readLine();
        if (reply != null && (reply.startsWith("+") || reply.startsWith("334 ") || reply.startsWith("\""))) {
            c.line(protocol.equals("sieve") ? "\"AQ==\"" : "AQ=="); // the client's "\x01"
            reply = c.readLine();
        }
        while (reply != null && reply.startsWith("* ")) reply = c.readLine(); // IMAP's untagged lines
        return reply;
    }

    static boolean success(String protocol, String reply) {
        return reply != null && switch (protocol) {
            case "imap" -> reply.startsWith("t OK");
            case "pop3" -> reply.startsWith("+OK");
            case "sieve" -> reply.startsWith("OK");
            default -> reply.startsWith("235 ");
        };
    }

    static boolean refused(String protocol, String reply) {
        return reply != null && switch (protocol) {
            case "imap" -> reply.startsWith("t NO");
            case "pop3" -> reply.startsWith("-ERR");
            case "sieve" -> reply.startsWith("NO") || reply.startsWith("BYE");
            default -> reply.startsWith("535 ");
        };
    }

    /**
     * The same password once more, now in the relayed stream (the backend answers it; a
     * client may well log in twice): with trace-relay-bytes the trace shows the relay's
     * first bytes, and its redactor must hide this one too.
     */
    static void loginInTheRelay(RawClient c, String protocol, String user, String password) throws IOException {
        switch (protocol) {
            case "imap" -> {
                c.line("r LOGIN " + user + " \"" + password + "\"");
                c.expect("r ");
            }
            case "pop3" -> {
                c.line("PASS " + password);
                c.expect("+OK");
            }
            case "sieve" -> {
                c.line("AUTHENTICATE \"PLAIN\" \"" + b64("\0" + user + "\0" + password) + "\"");
                c.readLine(); // the backend's answer
            }
            default -> {
                c.line("AUTH PLAIN " + b64("\0" + user + "\0" + password));
                c.readLine(); // 235 or 535: the backend's business
            }
        }
    }

    static void logout(RawClient c, String protocol) throws IOException {
        c.line(switch (protocol) {
            case "imap" -> "z LOGOUT";
            case "sieve" -> "LOGOUT";
            default -> "QUIT";
        });
        c.readToEnd();
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
