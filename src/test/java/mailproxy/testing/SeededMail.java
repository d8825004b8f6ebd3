package mailproxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The messages every fixture mailbox starts with, written straight into Maildir files with
 * CRLF line ends: Dovecot then returns these exact bytes for IMAP BODY[] and (after
 * dot-unstuffing) POP3 RETR, which RealServersTest checks.
 */
final class SeededMail {
    private static final List<byte[]> MESSAGES = List.of(first(), second());

    private SeededMail() {}

    static int count() {
        return MESSAGES.size();
    }

    /** Message {@code n}, 1-based like POP3 message numbers and IMAP sequence numbers. */
    static byte[] message(int n) {
        if (n < 1 || n > MESSAGES.size()) {
            throw new IllegalArgumentException("seeded messages are 1.." + MESSAGES.size() + ": " + n);
        }
        return MESSAGES.get(n - 1).clone();
    }

    /** Creates {@code home/Maildir} with the seeded messages (new/, in order), owned by uid/gid. */
    static void writeMaildir(Path home, int uid, int gid) throws IOException {
        Path maildir = home.resolve("Maildir");
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        // The uidlist fixes UIDs 1..n for the seeded files. Without it the first mail
        // delivered over LMTP before any login took UID 1 and the seeded ones came after.
        StringBuilder uidlist = new StringBuilder("3 V" + (System.currentTimeMillis() / 1000)
                + " N" + (MESSAGES.size() + 1) + " G"
                + UUID.randomUUID().toString().replace("-", "") + "\n");
        for (int i = 0; i < MESSAGES.size(); i++) {
            String name = (1_700_000_000L + i) + ".M" + (i + 1) + "P1.mailproxy-seed";
            Path tmp = maildir.resolve("tmp").resolve(name);
            Files.write(tmp, MESSAGES.get(i));
            chown(tmp, uid, gid);
            Files.move(tmp, maildir.resolve("new").resolve(name));
            uidlist.append(i + 1).append(" :").append(name).append('\n');
        }
        Files.writeString(maildir.resolve("dovecot-uidlist"), uidlist);
        try (Stream<Path> all = Files.walk(home)) {
            for (Path p : all.toList()) {
                chown(p, uid, gid);
            }
        }
    }

    static void chown(Path p, int uid, int gid) throws IOException {
        Files.setAttribute(p, "unix:uid", uid);
        Files.setAttribute(p, "unix:gid", gid);
    }

    /** The first header lines of seeded message {@code n}, to Bob. */
    private static String header(String from, int n, String date) {
        return """
                From: %s
                To: Bob <bob@example.test>
                Subject: seeded message %d
                Date: %s
                Message-ID: <seed-%d@mailproxy.test>
                MIME-Version: 1.0
                """.formatted(from, n, date, n);
    }

    private static byte[] first() {
        return crlf(header("Alice <alice@example.test>", 1, "Mon, 01 Jan 2024 10:00:00 +0000") + """
                Content-Type: text/plain; charset=us-ascii

                Hello Bob,

                this is seeded message 1. It is short.
                """);
    }

    /**
     * Longer than the usual copy buffers (about 30 KB), 8-bit UTF-8, and lines a POP3 server
     * must dot-stuff (RFC 1939 section 3): one starting with "." and one that is only ".".
     */
    private static byte[] second() {
        StringBuilder body = new StringBuilder(header("Carol <carol@example.test>", 2, "Tue, 02 Jan 2024 11:30:00 +0100") + """
                Content-Type: text/plain; charset=utf-8
                Content-Transfer-Encoding: 8bit

                Grüße aus Köln, Bob! Ünïcödé ✓
                .a line that starts with a dot
                .
                ..two dots
                """);
        for (int i = 1; i <= 400; i++) {
            body.append(String.format("line %03d: the quick brown fox jumps over the lazy dog 0123456789\n", i));
        }
        body.append("end of seeded message 2\n");
        return crlf(body.toString());
    }

    private static byte[] crlf(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() + 512);
        byte[] utf8 = text.replace("\r\n", "\n").getBytes(StandardCharsets.UTF_8);
        for (byte b : utf8) {
            if (b == '\n') {
                out.write('\r');
            }
            out.write(b);
        }
        return out.toByteArray();
    }
}
