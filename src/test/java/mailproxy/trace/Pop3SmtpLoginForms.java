package mailproxy.trace;

import static mailproxy.trace.LoginForms.greeted;
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
            out.add(new Case(l, "PASS with a tab, then right", (c, u, p) -> greeted(c, "+OK", "USER " + u, "+OK", "PASS\t" + p, "-ERR", "USER " + u, "+OK", "PASS " + p, "+OK")));
            out.add(new Case(l, "AUTH PLAIN with initial response", (c, u, p) -> pop3(c, "AUTH PLAIN " + Sasl.plain(u, p))));
            out.add(new Case(l, "auth plain without initial response", (c, u, p) -> greeted(c, "+OK", "auth plain", "+", Sasl.plain(u, p), "+OK")));
            out.add(new Case(l, "AUTH LOGIN", (c, u, p) -> greeted(c, "+OK", "AUTH LOGIN", "+", Sasl.b64(u), "+", Sasl.b64(p), "+OK")));
            out.add(new Case(l, "AUTH XOAUTH2", (c, u, p) -> pop3(c, "AUTH XOAUTH2 " + xoauth2(u, p))));
            out.add(new Case(l, "AUTH OAUTHBEARER, continuation", (c, u, p) -> greeted(c, "+OK", "AUTH OAUTHBEARER", "+", oauthbearer(u, p), "+OK")));
            out.add(new Case(l, "cancelled with *, AUTH PLAIN =, APOP, then PASS", (c, u, p) -> {
                c.expect("+OK");
                c.exchange("AUTH PLAIN", "+", "*", "-ERR");
                c.line("AUTH PLAIN =");
                String r = c.readLine();
                if (r.startsWith("+")) {
                    c.line(Sasl.plain(u, p));
                    c.expect("+OK");
                    return;
                }
                c.exchange(
                        "APOP " + u + " " + Sasl.apopDigest(LoginForms.APOP_TIMESTAMP, p), "-ERR",
                        "USER " + u, "+OK",
                        "PASS " + p, "+OK");
            }));
            out.add(new Case(l, "in the relay: PASS, AUTH", (c, u, p) -> {
                pop3(c, "USER " + u, "PASS " + p);
                c.exchange(
                        "PASS " + p, "+OK",
                        "AUTH PLAIN " + Sasl.plain(u, p), "+OK",
                        "AUTH PLAIN", "+",
                        Sasl.plain(u, p), "+OK",
                        "QUIT", "+OK");
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
                c.exchange("auth plain", "334", Sasl.plain(u, p), "235");
            }));
            out.add(new Case(l, "AUTH LOGIN on 334 continuations", (c, u, p) -> {
                smtpEhlo(c);
                c.transcript(Sasl.smtpAuthLogin(Sasl.b64(u), Sasl.b64(p)));
            }));
            out.add(new Case(l, "AUTH LOGIN with the user as initial response", (c, u, p) -> {
                smtpEhlo(c);
                c.exchange("AUTH LOGIN " + Sasl.b64(u), "334", Sasl.b64(p), "235");
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
                c.exchange("AUTH OAUTHBEARER", "334", oauthbearer(u, p), "235");
            }));
            out.add(new Case(l, "cancelled with *, AUTH PLAIN =, then right", (c, u, p) -> {
                smtpEhlo(c);
                c.exchange("AUTH PLAIN", "334", "*", "501");
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
                c.exchange(
                        "AUTH PLAIN " + Sasl.plain(u, p), "235",
                        "AUTH LOGIN", "334",
                        Sasl.b64(u), "334",
                        Sasl.b64(p), "235",
                        "QUIT", "221");
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
