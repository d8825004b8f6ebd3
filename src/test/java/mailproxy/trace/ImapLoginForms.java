package mailproxy.trace;

import static mailproxy.trace.LoginForms.lit;
import static mailproxy.trace.LoginForms.litPlus;
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
            out.add(new Case(l, "tabs and double spaces", (c, u, p) -> {
                c.expect("* OK");
                c.line("a0 LOGIN\t" + u + "\t" + p);
                c.expect("a0 BAD");
                c.line("a1 LOGIN  " + u + "  " + p);
                c.expect("a1 BAD");
                c.line("a2 LOGIN " + u + " " + p);
                c.expect("a2 OK");
            }));
            out.add(new Case(l, "user literal, password atom on the continuation line", (c, u, p) -> {
                c.expect("* OK");
                c.line("a1 LOGIN " + lit(u));
                c.expect("+ ");
                c.line(u + " " + p);
                c.expect("a1 OK");
            }));
            out.add(new Case(l, "user literal+, password quoted on the continuation line", (c, u, p) -> {
                c.expect("* OK");
                c.send("a1 LOGIN " + litPlus(u) + "\r\n" + u + " \"" + p + "\"\r\n");
                c.expect("a1 OK");
            }));
            out.add(new Case(l, "both synchronizing literals", (c, u, p) -> {
                c.expect("* OK");
                c.line("a1 LOGIN " + lit(u));
                c.expect("+ ");
                c.line(u + " " + lit(p));
                c.expect("+ ");
                c.line(p);
                c.expect("a1 OK");
            }));
            out.add(new Case(l, "both literal+, lowercase", (c, u, p) -> {
                c.expect("* OK");
                c.send("a1 login " + litPlus(u) + "\r\n" + u + " " + litPlus(p) + "\r\n" + p + "\r\n");
                c.expect("a1 OK");
            }));
            out.add(new Case(l, "atom user, literal password", (c, u, p) -> {
                c.expect("* OK");
                c.line("a1 LOGIN " + u + " " + lit(p));
                c.expect("+ ");
                c.line(p);
                c.expect("a1 OK");
            }));
            out.add(new Case(l, "AUTHENTICATE PLAIN, SASL-IR", (c, u, p) -> imapLogin(c, "a1 AUTHENTICATE PLAIN " + Sasl.plain(u, p))));
            out.add(new Case(l, "authenticate plain, continuation", (c, u, p) -> {
                c.expect("* OK");
                c.line("a1 authenticate plain");
                c.expect("+");
                c.line(Sasl.plain(u, p));
                c.expect("a1 OK");
            }));
            out.add(new Case(l, "AUTHENTICATE LOGIN", (c, u, p) -> {
                c.expect("* OK");
                c.line("a1 AUTHENTICATE LOGIN");
                c.expect("+");
                c.line(Sasl.b64(u));
                c.expect("+");
                c.line(Sasl.b64(p));
                c.expect("a1 OK");
            }));
            out.add(new Case(l, "AUTHENTICATE XOAUTH2, SASL-IR", (c, u, p) -> imapLogin(c, "a1 AUTHENTICATE XOAUTH2 " + xoauth2(u, p))));
            out.add(new Case(l, "AUTHENTICATE OAUTHBEARER, continuation", (c, u, p) -> {
                c.expect("* OK");
                c.line("a1 AUTHENTICATE OAUTHBEARER");
                c.expect("+");
                c.line(oauthbearer(u, p));
                c.expect("a1 OK");
            }));
            out.add(new Case(l, "cancelled with *, then LOGIN", (c, u, p) -> {
                c.expect("* OK");
                c.line("a1 AUTHENTICATE PLAIN");
                c.expect("+");
                c.line("*");
                c.expect("a1 BAD");
                c.line("a2 LOGIN " + u + " " + p);
                c.expect("a2 OK");
            }));
            out.add(new Case(l, "in the relay: LOGIN, literals, AUTHENTICATE, a refused literal", (c, u, p) -> {
                imapLogin(c, "a1 LOGIN " + u + " " + p);
                c.line("r1 login " + u + " " + p);
                c.expect("r1 OK");
                c.send("r2 LOGIN " + litPlus(u) + "\r\n" + u + " " + litPlus(p) + "\r\n" + p + "\r\n");
                c.expect("r2 OK");
                c.line("r3 LOGIN " + lit(u));
                c.expect("+ ");
                c.line(u + "\t\"" + p + "\"");
                c.expect("r3 OK");
                c.line("r4 AUTHENTICATE PLAIN");
                c.expect("+");
                c.line(Sasl.plain(u, p));
                c.expect("r4 OK");
                c.line("r5 AUTHENTICATE XOAUTH2 " + xoauth2(u, p));
                c.expect("r5 OK");
                // a refused synchronizing literal is never sent: the next bytes are a LOGIN, not a message
                String login = "r8 LOGIN " + lit(u) + "\r\n";
                String user = u + " " + lit(p) + "\r\n";
                c.line("r7 APPEND INBOX {" + (login.length() + user.length()) + "}");
                c.expect("r7 NO");
                c.send(login);
                c.expect("+ ");
                c.send(user);
                c.expect("+ ");
                c.line(p);
                c.expect("r8 OK");
                c.line("r6 LOGOUT");
                c.expect("* BYE");
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
