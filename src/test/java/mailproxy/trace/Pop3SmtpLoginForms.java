package mailproxy.trace;

import static mailproxy.trace.LoginForms.oauthbearer;
import static mailproxy.trace.LoginForms.xoauth2;

import java.util.ArrayList;
import java.util.List;
import mailproxy.testing.RawClient;
import mailproxy.testing.Sasl;
import mailproxy.trace.LoginForms.Case;

/** POP3 and SMTP rows of {@link TraceRedactionTableTest}: USER/PASS, APOP, AUTH with every mechanism, the relay. */
final class Pop3SmtpLoginForms {
    private Pop3SmtpLoginForms() {}

    static List<Case> pop3() {
        List<Case> out = new ArrayList<>();
        for (String l : List.of("pop3-a", "pop3-b")) {
            out.add(new Case(l, "USER, PASS", (c, u, p) -> pop3(c, "USER " + u, "PASS " + p)));
            out.add(new Case(l, "user, pass lowercase", (c, u, p) -> pop3(c, "user " + u, "pass " + p)));
            out.add(new Case(l, "PASS with a tab, then right", (c, u, p) -> {
                c.expect("+OK");
                c.line("USER " + u);
                c.expect("+OK");
                c.line("PASS\t" + p);
                c.expect("-ERR");
                c.line("USER " + u);
                c.expect("+OK");
                c.line("PASS " + p);
                c.expect("+OK");
            }));
            out.add(new Case(l, "AUTH PLAIN with initial response", (c, u, p) -> pop3(c, "AUTH PLAIN " + Sasl.plain(u, p))));
            out.add(new Case(l, "auth plain without initial response", (c, u, p) -> {
                c.expect("+OK");
                c.line("auth plain");
                c.expect("+");
                c.line(Sasl.plain(u, p));
                c.expect("+OK");
            }));
            out.add(new Case(l, "AUTH LOGIN", (c, u, p) -> {
                c.expect("+OK");
                c.line("AUTH LOGIN");
                c.expect("+");
                c.line(Sasl.b64(u));
                c.expect("+");
                c.line(Sasl.b64(p));
                c.expect("+OK");
            }));
            out.add(new Case(l, "AUTH XOAUTH2", (c, u, p) -> pop3(c, "AUTH XOAUTH2 " + xoauth2(u, p))));
            out.add(new Case(l, "AUTH OAUTHBEARER, continuation", (c, u, p) -> {
                c.expect("+OK");
                c.line("AUTH OAUTHBEARER");
                c.expect("+");
                c.line(oauthbearer(u, p));
                c.expect("+OK");
            }));
            out.add(new Case(l, "cancelled with *, AUTH PLAIN =, APOP, then PASS", (c, u, p) -> {
                c.expect("+OK");
                c.line("AUTH PLAIN");
                c.expect("+");
                c.line("*");
                c.expect("-ERR");
                c.line("AUTH PLAIN =");
                String r = c.readLine();
                if (r.startsWith("+")) {
                    c.line(Sasl.plain(u, p));
                    c.expect("+OK");
                    return;
                }
                c.line("APOP " + u + " " + Sasl.apopDigest(LoginForms.APOP_TIMESTAMP, p));
                c.expect("-ERR");
                c.line("USER " + u);
                c.expect("+OK");
                c.line("PASS " + p);
                c.expect("+OK");
            }));
            out.add(new Case(l, "in the relay: PASS, AUTH", (c, u, p) -> {
                pop3(c, "USER " + u, "PASS " + p);
                c.line("PASS " + p);
                c.expect("+OK");
                c.line("AUTH PLAIN " + Sasl.plain(u, p));
                c.expect("+OK");
                c.line("AUTH PLAIN");
                c.expect("+");
                c.line(Sasl.plain(u, p));
                c.expect("+OK");
                c.line("QUIT");
                c.expect("+OK");
            }));
        }
        return out;
    }

    private static void pop3(RawClient c, String... lines) throws Exception {
        c.expect("+OK");
        for (String line : lines) {
            c.line(line);
            c.expect("+OK");
        }
    }

    static List<Case> smtp() {
        List<Case> out = new ArrayList<>();
        for (String l : List.of("smtp-a", "smtp-b")) {
            out.add(new Case(l, "AUTH PLAIN with initial response", (c, u, p) -> smtpAuth(c, "AUTH PLAIN " + Sasl.plain(u, p))));
            out.add(new Case(l, "auth plain, 334, response", (c, u, p) -> {
                smtpEhlo(c);
                c.line("auth plain");
                c.expect("334");
                c.line(Sasl.plain(u, p));
                c.expect("235");
            }));
            out.add(new Case(l, "AUTH LOGIN on 334 continuations", (c, u, p) -> {
                smtpEhlo(c);
                c.transcript(Sasl.smtpAuthLogin(Sasl.b64(u), Sasl.b64(p)));
            }));
            out.add(new Case(l, "AUTH LOGIN with the user as initial response", (c, u, p) -> {
                smtpEhlo(c);
                c.line("AUTH LOGIN " + Sasl.b64(u));
                c.expect("334");
                c.line(Sasl.b64(p));
                c.expect("235");
            }));
            out.add(new Case(l, "AUTH XOAUTH2", (c, u, p) -> smtpAuth(c, "AUTH XOAUTH2 " + xoauth2(u, p))));
            out.add(new Case(l, "auth with tabs and double spaces, then right", (c, u, p) -> {
                smtpEhlo(c);
                c.line("auth\tplain\t" + Sasl.plain(u, p));
                if (c.smtpReply().get(0).startsWith("235")) return;
                c.line("AUTH  PLAIN  " + Sasl.plain(u, p));
                if (c.smtpReply().get(0).startsWith("235")) return;
                c.line("AUTH PLAIN " + Sasl.plain(u, p));
                c.expect("235");
            }));
            out.add(new Case(l, "AUTH OAUTHBEARER, 334, response", (c, u, p) -> {
                smtpEhlo(c);
                c.line("AUTH OAUTHBEARER");
                c.expect("334");
                c.line(oauthbearer(u, p));
                c.expect("235");
            }));
            out.add(new Case(l, "cancelled with *, AUTH PLAIN =, then right", (c, u, p) -> {
                smtpEhlo(c);
                c.line("AUTH PLAIN");
                c.expect("334");
                c.line("*");
                c.expect("501");
                c.line("AUTH PLAIN =");
                String r = c.readLine();
                if (r.startsWith("334")) {
                    c.line(Sasl.plain(u, p));
                } else {
                    c.line("AUTH PLAIN " + Sasl.plain(u, p));
                }
                c.expect("235");
            }));
            out.add(new Case(l, "in the relay: AUTH PLAIN, AUTH LOGIN", (c, u, p) -> {
                smtpAuth(c, "AUTH PLAIN " + Sasl.plain(u, p));
                c.line("AUTH PLAIN " + Sasl.plain(u, p));
                c.expect("235");
                c.line("AUTH LOGIN");
                c.expect("334");
                c.line(Sasl.b64(u));
                c.expect("334");
                c.line(Sasl.b64(p));
                c.expect("235");
                c.line("QUIT");
                c.expect("221");
            }));
        }
        return out;
    }

    private static void smtpEhlo(RawClient c) throws Exception {
        c.expect("220");
        c.line("EHLO client.example");
        c.smtpReply();
    }

    private static void smtpAuth(RawClient c, String line) throws Exception {
        smtpEhlo(c);
        c.line(line);
        c.expect("235");
    }
}
