package mailproxy.trace;

import static mailproxy.trace.LoginForms.litPlus;
import static mailproxy.trace.LoginForms.xoauth2;
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
import mailproxy.trace.LoginForms.Case;
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

    /**
     * A secret as it may travel: itself, its base64, inside each SASL message in base64,
     * its APOP digest, and the base64 of its own bytes wherever it starts in a longer
     * message (as src/test/sh/scan-test-output.sh looks for it).
     */
    static List<String> forms(String user, String password) throws Exception {
        List<String> forms = new ArrayList<>(List.of(password, unpadded(Sasl.b64(password)), unpadded(Sasl.plain(user, password)),
                unpadded(Sasl.b64(OAuth.xoauth2Message(user, password))),
                unpadded(Sasl.b64(OAuth.oauthbearerMessage(user, password))),
                Sasl.apopDigest(LoginForms.APOP_TIMESTAMP, password)));
        for (int k = 0; k < 3; k++) {
            // base64 groups of 3 bytes: skip the group shared with what comes before, and an incomplete last one
            String b64 = Sasl.b64(" ".repeat(k) + password);
            forms.add(b64.substring(k > 0 ? 4 : 0, (k + password.length()) / 3 * 4));
        }
        return forms;
    }

    private static String unpadded(String b64) {
        return b64.replaceAll("=+$", "");
    }

    static List<Case> cases() {
        List<Case> all = new ArrayList<>();
        all.addAll(ImapLoginForms.imap());
        all.addAll(Pop3SmtpLoginForms.pop3());
        all.addAll(Pop3SmtpLoginForms.smtp());
        all.addAll(sieve());
        return all;
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
        out.add(new Case(l, "a token too long for a quoted string, both ways a literal", (c, u, p) -> {
            // over 1024 characters: the client sends it as a literal, and so does the proxy to the backend
            String r = xoauth2(u, p + "." + "t".repeat(1100));
            sieveAuth(c, "AUTHENTICATE \"XOAUTH2\" " + litPlus(r) + "\r\n" + r + "\r\n");
        }));
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
