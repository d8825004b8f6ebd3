package mailproxy.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import mailproxy.sasl.OAuth;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.Sasl;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;

/**
 * The attack on the trace (docs/SECURITY.md): every way a client or the proxy can carry a
 * password or token, in every protocol, through a proxy that traces every session and
 * shows the relay too (trace = true, trace-relay-bytes on). Each case has its own
 * password; afterwards the whole log must hold none of them, nor their base64, nor the
 * base64 of the whole PLAIN, XOAUTH2 or OAUTHBEARER message. The syntactic forms are the
 * ones a redactor by line would miss: a user name as a literal with the password on the
 * continuation line, passwords split over literals, lowercase commands, tabs and double
 * spaces, SASL-IR, continuations, a cancelled exchange, and a second login sent in the
 * relay.
 */
class TraceRedactionTableTest {
    /** The end of every password here: listed in known-test-passwords.txt, so CI's scan finds any leak too. */
    static final String MARK = "-Trc7w-redaction-table";

    /** One client dialogue: logs in as user with password, maybe sends more in the relay. */
    @FunctionalInterface
    interface Dialogue {
        void run(RawClient c, String user, String password) throws Exception;
    }

    record Case(String listener, String name, Dialogue dialogue) {}

    private static String config(int imap, int pop3, int smtp, int sieve) {
        String traced = "trace = true, trace-relay-bytes = 64k, auth = [plain, login, xoauth2, oauthbearer]";
        StringBuilder listeners = new StringBuilder();
        for (String p : List.of("imap", "pop3", "smtp", "sieve")) {
            for (String r : p.equals("sieve") ? List.of("a") : List.of("a", "b")) {
                listeners.append("{ name = ").append(p).append('-').append(r).append(", protocol = ").append(p)
                        .append(", listen = \"127.0.0.1:0\", router = ").append(r).append(", ").append(traced).append(" }\n");
            }
        }
        return """
                mailproxy {
                  server-name = "trace.test"
                  backends {
                    a { host = "127.0.0.1", imap { port = %1$d, login = login }, pop3 { port = %2$d, login = user },
                        smtp { port = %3$d, auth = plain }, sieve { port = %4$d } }
                    b { host = "127.0.0.1", imap { port = %1$d, login = authenticate-plain }, pop3 { port = %2$d, login = auth-plain },
                        smtp { port = %3$d, auth = login } }
                  }
                  routers { a { type = static, default = a }, b { type = static, default = b } }
                  listeners = [ %5$s ]
                }
                """.formatted(imap, pop3, smtp, sieve, listeners);
    }

    @Test
    void noPasswordNorItsBase64InTheTraceOfAnyLoginForm() throws Exception {
        List<Case> cases = cases();
        try (LogCapture log = new LogCapture();
             ScriptedServer imap = QuietBackends.imap();
             ScriptedServer pop3 = QuietBackends.pop3();
             ScriptedServer smtp = QuietBackends.smtp();
             ScriptedServer sieve = QuietBackends.sieve();
             TestProxy proxy = TestProxy.start(config(imap.port(), pop3.port(), smtp.port(), sieve.port()))) {
            for (int i = 0; i < cases.size(); i++) {
                Case k = cases.get(i);
                try (RawClient c = RawClient.connect(proxy.port(k.listener()))) {
                    c.timeout(10_000);
                    k.dialogue().run(c, user(i), password(i));
                }
                assertTrue(proxy.noSessionsWithin(Duration.ofSeconds(10)), k.name() + ": the session did not end");
            }
            String text = log.text();
            assertTrue(text.contains("relay C: "), "the relay was traced:\n" + text);
            List<String> found = new ArrayList<>();
            for (int i = 0; i < cases.size(); i++) {
                for (String form : forms(user(i), password(i))) {
                    if (text.contains(form)) found.add(cases.get(i).listener() + " " + cases.get(i).name() + ": " + form);
                }
            }
            assertEquals(List.of(), found, "secrets in the trace (the log is in this test's output)");
        }
    }

    private static String user(int i) { return "u" + i; }

    private static String password(int i) { return "P" + i + MARK; }

    /** A secret as it may travel: itself, its base64, and inside each SASL message, base64. */
    static List<String> forms(String user, String password) {
        return List.of(password, unpadded(Sasl.b64(password)), unpadded(Sasl.plain(user, password)),
                unpadded(Sasl.b64(OAuth.xoauth2Message(user, password))),
                unpadded(Sasl.b64(OAuth.oauthbearerMessage(user, password))));
    }

    private static String unpadded(String b64) {
        return b64.replaceAll("=+$", "");
    }

    private static String lit(String s) { return "{" + s.length() + "}"; }

    private static String litPlus(String s) { return "{" + s.length() + "+}"; }

    private static String xoauth2(String u, String p) { return Sasl.b64(OAuth.xoauth2Message(u, p)); }

    private static String oauthbearer(String u, String p) { return Sasl.b64(OAuth.oauthbearerMessage(u, p)); }

    static List<Case> cases() {
        List<Case> all = new ArrayList<>();
        all.addAll(imap());
        all.addAll(pop3());
        all.addAll(smtp());
        all.addAll(sieve());
        return all;
    }

    private static List<Case> imap() {
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
            out.add(new Case(l, "in the relay: LOGIN, literals, AUTHENTICATE", (c, u, p) -> {
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

    private static List<Case> pop3() {
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
                c.line("APOP " + u + " " + Sasl.apopDigest("<1.2@trace.test>", p));
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

    private static List<Case> smtp() {
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

    private static List<Case> sieve() {
        List<Case> out = new ArrayList<>();
        String l = "sieve-a";
        out.add(new Case(l, "AUTHENTICATE quoted initial response", (c, u, p) -> sieveAuth(c, "AUTHENTICATE \"PLAIN\" \"" + Sasl.plain(u, p) + "\"\r\n")));
        out.add(new Case(l, "authenticate literal initial response", (c, u, p) -> {
            String r = Sasl.plain(u, p);
            sieveAuth(c, "authenticate \"PLAIN\" " + litPlus(r) + "\r\n" + r + "\r\n");
        }));
        out.add(new Case(l, "AUTHENTICATE, quoted continuation", (c, u, p) -> {
            sieveGreeting(c);
            c.line("AUTHENTICATE \"PLAIN\"");
            c.expect("\"");
            c.line("\"" + Sasl.plain(u, p) + "\"");
            c.expect("OK");
        }));
        out.add(new Case(l, "AUTHENTICATE, literal continuation", (c, u, p) -> {
            sieveGreeting(c);
            c.line("AUTHENTICATE \"PLAIN\"");
            c.expect("\"");
            String r = Sasl.plain(u, p);
            c.send(litPlus(r) + "\r\n" + r + "\r\n");
            c.expect("OK");
        }));
        out.add(new Case(l, "AUTHENTICATE XOAUTH2", (c, u, p) -> sieveAuth(c, "AUTHENTICATE \"XOAUTH2\" \"" + xoauth2(u, p) + "\"\r\n")));
        out.add(new Case(l, "AUTHENTICATE LOGIN", (c, u, p) -> {
            sieveGreeting(c);
            c.line("AUTHENTICATE \"LOGIN\"");
            c.expect("\"");
            c.line("\"" + Sasl.b64(u) + "\"");
            c.expect("\"");
            c.line("\"" + Sasl.b64(p) + "\"");
            c.expect("OK");
        }));
        out.add(new Case(l, "cancelled with \"*\", then in the relay again", (c, u, p) -> {
            sieveGreeting(c);
            c.line("AUTHENTICATE \"PLAIN\"");
            c.expect("\"");
            c.line("\"*\"");
            c.expect("NO");
            c.line("AUTHENTICATE \"PLAIN\" \"" + Sasl.plain(u, p) + "\"");
            c.expect("OK");
            c.line("AUTHENTICATE \"PLAIN\" \"" + Sasl.plain(u, p) + "\"");
            c.expect("OK");
            String r = Sasl.plain(u, p);
            c.send("AUTHENTICATE \"PLAIN\" " + litPlus(r) + "\r\n" + r + "\r\n");
            c.expect("OK");
            c.line("AUTHENTICATE \"PLAIN\"");
            c.expect("\"");
            c.line("\"" + r + "\"");
            c.expect("OK");
            c.line("LOGOUT");
            c.expect("OK");
        }));
        return out;
    }

    private static void sieveGreeting(RawClient c) throws Exception {
        while (!c.readLine().startsWith("OK")) {
            // capability lines
        }
    }

    private static void sieveAuth(RawClient c, String raw) throws Exception {
        sieveGreeting(c);
        c.send(raw);
        c.expect("OK");
    }
}
