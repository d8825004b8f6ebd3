package mailproxy.trace;

import static mailproxy.trace.LoginForms.lit;
import static mailproxy.trace.LoginForms.litPlus;
import static mailproxy.trace.LoginForms.greeted;
import static mailproxy.trace.LoginForms.oauthbearer;
import static mailproxy.trace.LoginForms.xoauth2;

import java.util.ArrayList;
import java.util.List;
import mailproxy.testing.RawClient;
import mailproxy.testing.Sasl;
import mailproxy.trace.LoginForms.Case;

/** IMAP rows of {@link TraceRedactionTableTest}: LOGIN in every syntax, AUTHENTICATE with every mechanism, the relay. */
final class ImapLoginForms {
    private ImapLoginForms() {}

    static List<Case> imap() {
        List<Case> out = new ArrayList<>();
        for (String l : List.of("imap-a", "imap-b")) {
            out.add(new Case(l, "LOGIN atoms", (c, u, p) -> imapLogin(c, "a1 LOGIN " + u + " " + p)));
            out.add(new Case(l, "login quoted, lowercase", (c, u, p) -> imapLogin(c, "a1 login \"" + u + "\" \"" + p + "\"")));
            out.add(new Case(l, "tabs and double spaces", (c, u, p) -> greeted(c, "* OK",
                    "a0 LOGIN\t" + u + "\t" + p, "a0 BAD",
                    "a1 LOGIN  " + u + "  " + p, "a1 BAD",
                    "a2 LOGIN " + u + " " + p, "a2 OK")));
            out.add(new Case(l, "user literal, password atom on the continuation line", (c, u, p) -> greeted(c, "* OK", "a1 LOGIN " + lit(u), "+ ", u + " " + p, "a1 OK")));
            out.add(new Case(l, "user literal+, password quoted on the continuation line", (c, u, p) -> {
                c.expect("* OK");
                c.send("a1 LOGIN " + litPlus(u) + "\r\n" + u + " \"" + p + "\"\r\n");
                c.expect("a1 OK");
            }));
            out.add(new Case(l, "both synchronizing literals", (c, u, p) -> greeted(c, "* OK", "a1 LOGIN " + lit(u), "+ ", u + " " + lit(p), "+ ", p, "a1 OK")));
            out.add(new Case(l, "both literal+, lowercase", (c, u, p) -> {
                c.expect("* OK");
                c.send("a1 login " + litPlus(u) + "\r\n" + u + " " + litPlus(p) + "\r\n" + p + "\r\n");
                c.expect("a1 OK");
            }));
            out.add(new Case(l, "atom user, literal password", (c, u, p) -> greeted(c, "* OK", "a1 LOGIN " + u + " " + lit(p), "+ ", p, "a1 OK")));
            out.add(new Case(l, "AUTHENTICATE PLAIN, SASL-IR", (c, u, p) -> imapLogin(c, "a1 AUTHENTICATE PLAIN " + Sasl.plain(u, p))));
            out.add(new Case(l, "authenticate plain, continuation", (c, u, p) -> greeted(c, "* OK", "a1 authenticate plain", "+", Sasl.plain(u, p), "a1 OK")));
            out.add(new Case(l, "AUTHENTICATE LOGIN", (c, u, p) -> greeted(c, "* OK", "a1 AUTHENTICATE LOGIN", "+", Sasl.b64(u), "+", Sasl.b64(p), "a1 OK")));
            out.add(new Case(l, "AUTHENTICATE XOAUTH2, SASL-IR", (c, u, p) -> imapLogin(c, "a1 AUTHENTICATE XOAUTH2 " + xoauth2(u, p))));
            out.add(new Case(l, "AUTHENTICATE OAUTHBEARER, continuation", (c, u, p) -> greeted(c, "* OK", "a1 AUTHENTICATE OAUTHBEARER", "+", oauthbearer(u, p), "a1 OK")));
            out.add(new Case(l, "cancelled with *, then LOGIN", (c, u, p) -> greeted(c, "* OK", "a1 AUTHENTICATE PLAIN", "+", "*", "a1 BAD", "a2 LOGIN " + u + " " + p, "a2 OK")));
            out.add(new Case(l, "in the relay: LOGIN, literals, AUTHENTICATE, a refused literal", (c, u, p) -> {
                imapLogin(c, "a1 LOGIN " + u + " " + p);
                c.line("r1 login " + u + " " + p);
                c.expect("r1 OK");
                c.send("r2 LOGIN " + litPlus(u) + "\r\n" + u + " " + litPlus(p) + "\r\n" + p + "\r\n");
                c.expect("r2 OK");
                c.exchange(
                        "r3 LOGIN " + lit(u), "+ ",
                        u + "\t\"" + p + "\"", "r3 OK",
                        "r4 AUTHENTICATE PLAIN", "+",
                        Sasl.plain(u, p), "r4 OK",
                        "r5 AUTHENTICATE XOAUTH2 " + xoauth2(u, p), "r5 OK");
                // a refused synchronizing literal is never sent: the next bytes are a LOGIN, not a message
                String login = "r8 LOGIN " + lit(u) + "\r\n";
                String user = u + " " + lit(p) + "\r\n";
                c.line("r7 APPEND INBOX {" + (login.length() + user.length()) + "}");
                c.expect("r7 NO");
                c.send(login);
                c.expect("+ ");
                c.send(user);
                c.expect("+ ");
                c.exchange(p, "r8 OK", "r6 LOGOUT", "* BYE");
            }));
        }
        return out;
    }

    private static void imapLogin(RawClient c, String line) throws Exception {
        c.expect("* OK");
        c.line(line);
        c.expect(line.substring(0, line.indexOf(' ')) + " OK");
    }
}
