package loadgen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** The client side of each scenario's dialogue. Every reply is checked; a wrong one throws. */
final class Flows {
    record Account(String user, String pass) {}

    /** Result of reading an IMAP command's response: the tagged line and literal bytes seen. */
    record Tagged(String line, long literalBytes) {}

    private static final byte[] MESSAGE_10K = message(10 * 1024);

    private Flows() {}

    // ---- IMAP (RFC 9051) ----

    /** Greeting, LOGIN, SELECT mailbox. */
    static void imapOpen(Conn c, Account a, String mailbox, byte[] scratch) throws IOException {
        expect(c.line(), "* OK", "IMAP greeting");
        c.send("a1 LOGIN " + a.user() + " " + a.pass() + "\r\n");
        imapTagged(c, "a1", scratch);
        c.send("a2 SELECT " + mailbox + "\r\n");
        imapTagged(c, "a2", scratch);
    }

    /** FETCH one whole message; returns the literal's size. */
    static long imapFetch(Conn c, String tag, int msg, byte[] scratch) throws IOException {
        c.send(tag + " FETCH " + msg + " (BODY.PEEK[])\r\n");
        Tagged t = imapTagged(c, tag, scratch);
        if (t.literalBytes() == 0) throw new IOException("FETCH returned no message body");
        return t.literalBytes();
    }

    static void imapLogout(Conn c, String tag, byte[] scratch) throws IOException {
        c.send(tag + " LOGOUT\r\n");
        imapTagged(c, tag, scratch);
    }

    static void imapNoop(Conn c, String tag, byte[] scratch) throws IOException {
        c.send(tag + " NOOP\r\n");
        imapTagged(c, tag, scratch);
    }

    /**
     * connect, tls-new, tls-resume: what a mail client that checks a server does, and what
     * most short connections are: the greeting, {@code a LOGOUT}, its answer (RFC 9051,
     * 6.1.3: BYE, then the tagged OK); the caller closes.
     */
    static void imapGreetingLogout(Conn c, byte[] scratch) throws IOException {
        expect(c.line(), "* OK", "IMAP greeting");
        imapLogout(c, "a", scratch);
    }

    /** imap-login: LOGIN, SELECT, FETCH, LOGOUT. Returns bytes of message data received. */
    static long imapSession(Conn c, Account a, byte[] scratch) throws IOException {
        imapOpen(c, a, "INBOX", scratch);
        long n = imapFetch(c, "a3", 1, scratch);
        imapLogout(c, "a4", scratch);
        return n;
    }

    /** Reads untagged lines (skipping literals) until the tagged line; it must be OK. */
    static Tagged imapTagged(Conn c, String tag, byte[] scratch) throws IOException {
        long literal = 0;
        String prefix = tag + " ";
        for (int lines = 0; lines < 100_000; lines++) {
            String l = c.line();
            // A line ending in {n} announces n bytes of literal, then the line goes on.
            while (l.endsWith("}")) {
                int open = l.lastIndexOf('{');
                if (open < 0) break;
                long n = Long.parseLong(l.substring(open + 1, l.length() - 1));
                c.skip(n, scratch);
                literal += n;
                l = c.line();
            }
            if (l.startsWith(prefix)) {
                if (!l.startsWith(prefix + "OK")) throw new IOException("IMAP " + tag + ": " + shorten(l));
                return new Tagged(l, literal);
            }
        }
        throw new IOException("IMAP " + tag + ": no tagged reply within 100000 lines");
    }

    // ---- POP3 (RFC 1939) ----

    /** USER, PASS, STAT, RETR 1, QUIT. Returns bytes of message data received. */
    static long pop3Session(Conn c, Account a) throws IOException {
        expect(c.line(), "+OK", "POP3 greeting");
        c.send("USER " + a.user() + "\r\n");
        expect(c.line(), "+OK", "USER");
        c.send("PASS " + a.pass() + "\r\n");
        expect(c.line(), "+OK", "PASS");
        c.send("STAT\r\n");
        expect(c.line(), "+OK", "STAT");
        c.send("RETR 1\r\n");
        expect(c.line(), "+OK", "RETR");
        long bytes = 0;
        for (int lines = 0; ; lines++) {
            if (lines > 1_000_000) throw new IOException("RETR: no end of message");
            String l = c.line();
            if (l.equals(".")) break;
            bytes += l.length() + 2;
        }
        c.send("QUIT\r\n");
        expect(c.line(), "+OK", "QUIT");
        return bytes;
    }

    // ---- SMTP (RFC 5321, AUTH RFC 4954) ----

    /** EHLO, AUTH PLAIN, MAIL, RCPT, 10 KB DATA, QUIT. Returns bytes sent as message data. */
    static long smtpSession(Conn c, Account a) throws IOException {
        smtpReply(c, "2", "greeting");
        c.send("EHLO loadgen.bench.test\r\n");
        smtpReply(c, "250", "EHLO");
        String ir = Base64.getEncoder().encodeToString(
                ("\0" + a.user() + "\0" + a.pass()).getBytes(StandardCharsets.UTF_8));
        c.send("AUTH PLAIN " + ir + "\r\n");
        smtpReply(c, "2", "AUTH"); // 235; Postfix's smtp-sink answers 250
        c.send("MAIL FROM:<" + a.user() + "@bench.test>\r\n");
        smtpReply(c, "250", "MAIL");
        c.send("RCPT TO:<sink@bench.test>\r\n");
        smtpReply(c, "250", "RCPT");
        c.send("DATA\r\n");
        smtpReply(c, "354", "DATA");
        c.send(MESSAGE_10K);
        smtpReply(c, "250", "end of DATA");
        c.send("QUIT\r\n");
        smtpReply(c, "221", "QUIT");
        return MESSAGE_10K.length;
    }

    /** Reads a possibly multi-line reply ("250-..." lines, then "250 ..."). */
    private static void smtpReply(Conn c, String code, String what) throws IOException {
        for (int lines = 0; lines < 1000; lines++) {
            String l = c.line();
            if (!l.startsWith(code)) throw new IOException("SMTP " + what + ": " + shorten(l));
            if (l.length() < 4 || l.charAt(3) == ' ') return;
        }
        throw new IOException("SMTP " + what + ": reply longer than 1000 lines");
    }

    /** A message of about size bytes ending in CRLF.CRLF: 76-char lines, none starting with '.'. */
    private static byte[] message(int size) {
        StringBuilder b = new StringBuilder(size + 200);
        b.append("From: loadgen <load@bench.test>\r\nTo: <sink@bench.test>\r\n")
                .append("Subject: mailproxy bench\r\nMessage-ID: <bench@bench.test>\r\n\r\n");
        String row = "The quick brown fox jumps over the lazy dog; mailproxy bench payload line.";
        while (b.length() < size) b.append(row, 0, Math.min(row.length(), 74)).append("\r\n");
        b.append(".\r\n");
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static void expect(String line, String prefix, String what) throws IOException {
        if (!line.startsWith(prefix)) throw new IOException(what + ": " + shorten(line));
    }

    static String shorten(String s) {
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }
}
