package mailproxy.trace;

import java.io.IOException;
import java.util.Locale;
import mailproxy.testing.ImapArguments;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;

/**
 * Backends for the redaction table: they take any login (the proxy's, and the client's
 * second one in the relay) in every form the proxy or a client may send it, literals and
 * SASL continuations included, and never echo anything but a tag or a command word (the
 * IMAP one refuses an APPEND's synchronizing literal, as a mailbox over quota does). So
 * whatever secret the trace shows came from the proxy's redaction, not from a fake that
 * repeats what it was told ({@code FakeBackends} answer "tag OK CMD": a password alone on
 * a line would come back as a tag).
 */
final class QuietBackends {
    private QuietBackends() {}

    /** IMAP (RFC 9051) with LITERAL+, SASL-IR and the token mechanisms. */
    static ScriptedServer imap() throws IOException {
        return new ScriptedServer(c -> {
            c.line("* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER] quiet imap");
            for (String first = c.readLine(); first != null; first = c.readLine()) {
                String[] w = first.split(" ", 4);
                String tag = w[0];
                String verb = w.length > 1 ? w[1].toUpperCase(Locale.ROOT) : "";
                if (verb.equals("APPEND") && first.endsWith("}") && !first.endsWith("+}")) {
                    // a mailbox over quota: the synchronizing literal is refused, never sent (RFC 9051 §7.5)
                    c.line(tag + " NO [OVERQUOTA] no room for it");
                    continue;
                }
                if (ImapArguments.read(c, first, "+ go on") == null) return;
                switch (verb) {
                    case "AUTHENTICATE" -> {
                        if (w.length < 4) {
                            c.line("+ ");
                            String r = c.readLine();
                            if (r == null) return;
                            if (r.equals("*")) {
                                c.line(tag + " BAD cancelled");
                                continue;
                            }
                        }
                        c.line(tag + " OK authenticated");
                    }
                    case "ID" -> c.line("* ID NIL\r\n" + tag + " OK ID done");
                    case "LOGOUT" -> {
                        c.line("* BYE quiet\r\n" + tag + " OK LOGOUT done");
                        return;
                    }
                    default -> c.line(tag + " OK " + verb + " done");
                }
            }
        });
    }

    /** POP3 (RFC 1939, RFC 5034 AUTH, RFC 2449 CAPA). */
    static ScriptedServer pop3() throws IOException {
        return new ScriptedServer(c -> {
            c.line("+OK quiet pop3");
            for (String l = c.readLine(); l != null; l = c.readLine()) {
                String upper = l.toUpperCase(Locale.ROOT);
                if (upper.equals("CAPA")) {
                    c.send("+OK\r\nUSER\r\nSASL PLAIN XOAUTH2 OAUTHBEARER\r\n.\r\n");
                } else if (upper.startsWith("AUTH ") && l.split(" ").length == 2) {
                    c.line("+ ");
                    String r = c.readLine();
                    if (r == null) return;
                    c.line(r.equals("*") ? "-ERR cancelled" : "+OK logged in");
                } else if (upper.equals("QUIT")) {
                    c.line("+OK bye");
                    return;
                } else {
                    c.line("+OK");
                }
            }
        });
    }

    /** SMTP submission (RFC 5321, RFC 4954 AUTH PLAIN, LOGIN and the token mechanisms). */
    static ScriptedServer smtp() throws IOException {
        return new ScriptedServer(c -> {
            c.line("220 quiet ESMTP");
            for (String l = c.readLine(); l != null; l = c.readLine()) {
                String[] w = l.split(" ");
                switch (w[0].toUpperCase(Locale.ROOT)) {
                    case "EHLO" -> c.send("250-quiet\r\n250-AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER\r\n250 8BITMIME\r\n");
                    case "AUTH" -> {
                        boolean login = w.length > 1 && w[1].equalsIgnoreCase("LOGIN");
                        boolean cancelled = false;
                        if (login && w.length == 2) cancelled = step(c, "334 VXNlcm5hbWU6");
                        if (login && !cancelled) cancelled = step(c, "334 UGFzc3dvcmQ6");
                        if (!login && w.length == 2) cancelled = step(c, "334 ");
                        c.line(cancelled ? "501 5.7.0 cancelled" : "235 2.7.0 Authentication successful");
                    }
                    case "QUIT" -> {
                        c.line("221 2.0.0 Bye");
                        return;
                    }
                    default -> c.line("250 2.0.0 Ok");
                }
            }
        });
    }

    /** ManageSieve (RFC 5804): AUTHENTICATE with a quoted or literal response, or a challenge first. */
    static ScriptedServer sieve() throws IOException {
        return new ScriptedServer(c -> {
            c.send("\"IMPLEMENTATION\" \"quiet\"\r\n\"SASL\" \"PLAIN LOGIN XOAUTH2 OAUTHBEARER\"\r\n"
                    + "\"SIEVE\" \"fileinto\"\r\n\"VERSION\" \"1.0\"\r\nOK \"quiet sieve\"\r\n");
            for (String first = c.readLine(); first != null; first = c.readLine()) {
                if (ImapArguments.read(c, first, null) == null) return;
                String verb = first.split(" ")[0].toUpperCase(Locale.ROOT);
                switch (verb) {
                    case "AUTHENTICATE" -> {
                        boolean cancelled = false;
                        if (first.split(" ").length < 3) {
                            c.line("\"\"");
                            String r = c.readLine();
                            if (r == null || ImapArguments.read(c, r, null) == null) return;
                            cancelled = r.equals("\"*\"");
                        }
                        c.line(cancelled ? "NO \"cancelled\"" : "OK \"authenticated\"");
                    }
                    case "LOGOUT" -> {
                        c.line("OK \"bye\"");
                        return;
                    }
                    default -> c.line("OK \"done\"");
                }
            }
        });
    }

    /** SMTP: one challenge and its answer; whether the client cancelled with "*". */
    private static boolean step(RawClient c, String challenge) throws IOException {
        c.line(challenge);
        String r = c.readLine();
        return r == null || r.equals("*");
    }
}
