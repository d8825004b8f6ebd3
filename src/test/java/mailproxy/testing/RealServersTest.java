package mailproxy.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.apache.commons.net.imap.IMAPClient;
import org.apache.commons.net.pop3.POP3Client;
import org.apache.commons.net.smtp.AuthenticatingSMTPClient;
import org.apache.commons.net.smtp.SMTPReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The fixture servers, talked to directly (no proxy): proves what other tests rely on. */
@Timeout(60)
class RealServersTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int SOCKET_TIMEOUT_MS = 10_000;

    @Test
    void pop3RetrReturnsSeededBytes() throws Exception {
        RealDovecot d = RealServers.dovecot();
        POP3Client pop = NetClients.connect(new POP3Client(), d.host(), d.pop3Port());
        try {
            assertTrue(pop.login(RealDovecot.BOB, RealDovecot.BOB_PASSWORD), pop.getReplyString());
            for (int n = 1; n <= RealDovecot.seededMessageCount(); n++) {
                assertArrayEquals(RealDovecot.seededMessage(n), retrieve(pop, n), "message " + n);
            }
            pop.logout();
        } finally {
            pop.disconnect();
        }
    }

    @Test
    void imapFetchReturnsSeededBytes() throws Exception {
        RealDovecot d = RealServers.dovecot();
        IMAPClient imap = NetClients.connect(new IMAPClient(), d.host(), d.imapPort());
        try {
            // commons-net 3.11.1 rejects a tagged reply longer than ~160 chars, such as
            // Dovecot's "OK [CAPABILITY ...] Logged in". After a CAPABILITY command Dovecot
            // sends the list untagged and answers LOGIN with a short "OK Logged in".
            assertTrue(imap.capability(), imap.getReplyString());
            assertTrue(imap.login(RealDovecot.BOB, RealDovecot.BOB_PASSWORD), imap.getReplyString());
            assertTrue(imap.select("INBOX"), imap.getReplyString());
            assertTrue(imap.fetch("1", "BODY.PEEK[]"), imap.getReplyString());
            assertTrue(imap.getReplyString().contains("Subject: seeded message 1"), imap.getReplyString());
            imap.logout();
        } finally {
            imap.disconnect();
        }
        // commons-net hands back text lines; the exact bytes need a literal-aware reader.
        try (Line c = Line.connect(d.host(), d.imapPort())) {
            c.read();
            c.ok("a1 LOGIN bob secret");
            c.ok("a2 SELECT INBOX");
            for (int n = 1; n <= RealDovecot.seededMessageCount(); n++) {
                c.send("a3 FETCH " + n + " BODY.PEEK[]");
                assertArrayEquals(RealDovecot.seededMessage(n), c.fetchLiteral(), "message " + n);
                assertTrue(c.readUntilTagged("a3").startsWith("a3 OK"));
            }
        }
    }

    @Test
    void alicePasswordWorksAsImapLiteralQuotedAndPop3Pass() throws Exception {
        RealDovecot d = RealServers.dovecot();
        byte[] password = RealDovecot.ALICE_PASSWORD.getBytes(StandardCharsets.UTF_8);
        assertEquals(RealDovecot.ALICE_PASSWORD, d.userPassword(RealDovecot.ALICE));
        try (Line c = Line.connect(d.host(), d.imapPort())) {
            c.read();
            c.send("a1 LOGIN alice {" + password.length + "}");
            assertTrue(c.read().startsWith("+"));
            c.sendBytes(password);
            c.send("");
            assertTrue(c.readUntilTagged("a1").startsWith("a1 OK"));
        }
        try (Line c = Line.connect(d.host(), d.imapPort())) {
            c.read();
            String quoted = RealDovecot.ALICE_PASSWORD.replace("\\", "\\\\").replace("\"", "\\\"");
            c.ok("a1 LOGIN alice \"" + quoted + "\"");
        }
        try (Line c = Line.connect(d.host(), d.pop3Port())) {
            c.read();
            c.send("USER alice");
            assertTrue(c.read().startsWith("+OK"));
            c.send("PASS " + RealDovecot.ALICE_PASSWORD);
            assertTrue(c.read().startsWith("+OK"));
        }
        try (Line c = Line.connect(d.host(), d.imapPort())) {
            c.read();
            c.send("a1 LOGIN alice wrong");
            assertTrue(c.readUntilTagged("a1").startsWith("a1 NO"));
        }
    }

    @Test
    void forwardedClientAddressesAreLogged() throws Exception {
        RealDovecot d = RealServers.dovecot();
        try (Line c = Line.connect(d.host(), d.imapPort())) {
            c.read();
            c.ok("a0 ID (\"x-originating-ip\" \"198.51.100.7\")");
            c.ok("a1 LOGIN carol carol-pass");
        }
        assertTrue(d.awaitLog("rip=198.51.100.7", WAIT).contains("user=<carol>"));
        try (Line c = Line.connect(d.host(), d.pop3Port())) {
            assertTrue(c.read().contains("[XCLIENT]"));
            c.send("XCLIENT ADDR=198.51.100.8 PORT=40000");
            assertTrue(c.read().startsWith("+OK"));
            c.send("USER carol");
            assertTrue(c.read().startsWith("+OK"));
            c.send("PASS carol-pass");
            assertTrue(c.read().startsWith("+OK"));
        }
        assertTrue(d.awaitLog("rip=198.51.100.8", WAIT).contains("user=<carol>"));

        RealPostfix p = RealServers.postfix();
        long mark = p.logMark();
        try (Line c = Line.connect(p.host(), p.smtpPort())) {
            assertTrue(c.read().startsWith("220 "));
            c.send("EHLO proxy.test");
            assertTrue(c.readSmtp().contains("XCLIENT"));
            c.send("XCLIENT ADDR=198.51.100.9 NAME=client.example");
            assertTrue(c.read().startsWith("220 "), "XCLIENT restarts the session");
            c.send("EHLO client.example");
            c.readSmtp();
            c.send("MAIL FROM:<alice@example.test>");
            assertTrue(c.read().startsWith("250"));
            c.send("RCPT TO:<bob@example.test>"); // Postfix logs client= with the queue id
            assertTrue(c.read().startsWith("250"));
            c.send("RSET");
            assertTrue(c.read().startsWith("250"));
            c.send("QUIT");
        }
        p.awaitLog(mark, "client=client.example[198.51.100.9]", WAIT);
    }

    @Test
    void smtpAuthDeliversToDovecotAndMailReadsBack() throws Exception {
        RealDovecot d = RealServers.dovecot();
        RealPostfix p = RealServers.postfix();
        // A user of its own: bob's INBOX stays as seeded for the other tests.
        String user = "smtp-" + Long.toHexString(System.nanoTime());
        d.addUser(user, "pw-" + user);
        String id = UUID.randomUUID() + "@mailproxy.test";
        String message = "From: Bob <bob@example.test>\r\nTo: <" + user + "@example.test>\r\n"
                + "Subject: through postfix\r\nDate: Wed, 03 Jan 2024 12:00:00 +0000\r\n"
                + "Message-ID: <" + id + ">\r\n\r\nhello via smtp\r\n.leading dot\r\nbye\r\n";

        AuthenticatingSMTPClient smtp = NetClients.connect(new AuthenticatingSMTPClient(), p.host(), p.smtpPort());
        try {
            assertTrue(SMTPReply.isPositiveCompletion(smtp.ehlo("client.test")), smtp.getReplyString());
            assertTrue(smtp.auth(AuthenticatingSMTPClient.AUTH_METHOD.PLAIN,
                    RealDovecot.BOB, RealDovecot.BOB_PASSWORD), smtp.getReplyString());
            assertTrue(smtp.setSender("bob@example.test"), smtp.getReplyString());
            assertTrue(smtp.addRecipient(user + "@example.test"), smtp.getReplyString());
            assertTrue(smtp.sendShortMessageData(message), smtp.getReplyString());
            smtp.logout();
        } finally {
            smtp.disconnect();
        }
        assertTrue(p.awaitLog("sasl_username=bob", WAIT).contains("sasl_method=PLAIN"));
        d.awaitLog("msgid=<" + id + ">: saved mail to INBOX", WAIT);

        byte[] sent = message.getBytes(StandardCharsets.US_ASCII);
        POP3Client pop = NetClients.connect(new POP3Client(), d.host(), d.pop3Port());
        try {
            assertTrue(pop.login(user, d.userPassword(user)));
            // Postfix and Dovecot prepend trace headers (Received, Return-Path, Delivered-To).
            assertTrue(endsWith(retrieve(pop, 3), sent), "message 3 ends with what was sent");
            pop.logout();
        } finally {
            pop.disconnect();
        }
        try (Line c = Line.connect(d.host(), d.imapPort())) {
            c.read();
            c.ok("a1 LOGIN " + user + " pw-" + user);
            c.send("a2 SELECT INBOX");
            assertTrue(c.readUntilTagged("a2").contains("[READ-WRITE]"));
            c.send("a3 FETCH 3 BODY.PEEK[]");
            assertTrue(endsWith(c.fetchLiteral(), sent));
            assertTrue(c.readUntilTagged("a3").startsWith("a3 OK"));
        }
    }

    @Test
    void lmtpDeliveryLandsInInbox() throws Exception {
        RealDovecot d = RealServers.dovecot();
        String user = "lmtp-" + Long.toHexString(System.nanoTime());
        d.addUser(user, "pw");
        d.deliver(user + "@" + RealDovecot.DOMAIN, "Subject: direct\r\n\r\nvia lmtp\r\n".getBytes(StandardCharsets.US_ASCII));
        try (Line c = Line.connect(d.host(), d.pop3Port())) {
            c.read();
            c.send("USER " + user);
            c.read();
            c.send("PASS pw");
            c.read();
            c.send("STAT");
            assertTrue(c.read().startsWith("+OK 3 "), "2 seeded + 1 delivered");
        }
    }

    @Test
    void tlsDovecotSpeaksTlsWithItsOwnCertificate() throws Exception {
        RealDovecot t = RealServers.tlsDovecot();
        long mark = t.logMark();
        try (SSLSocket s = (SSLSocket) t.trustingSslContext().getSocketFactory()
                .createSocket(t.host(), t.imapsPort());
                Line c = new Line(s)) {
            s.setSoTimeout(SOCKET_TIMEOUT_MS);
            assertTrue(c.read().startsWith("* OK"));
            c.ok("a1 LOGIN bob secret");
        }
        // The Login line says TLS; a loopback client without TLS would show "secured" instead.
        assertTrue(t.awaitLog(mark, "Login: user=<bob>", WAIT).contains(", TLS"));

        try (Line plain = Line.connect(t.host(), t.pop3Port())) {
            plain.read();
            plain.send("STLS");
            assertTrue(plain.read().startsWith("+OK"));
            try (SSLSocket s = (SSLSocket) t.trustingSslContext().getSocketFactory()
                    .createSocket(plain.socket, t.host(), t.pop3Port(), true);
                    Line c = new Line(s)) {
                s.startHandshake();
                c.send("USER alice");
                assertTrue(c.read().startsWith("+OK"));
                c.send("PASS " + RealDovecot.ALICE_PASSWORD);
                assertTrue(c.read().startsWith("+OK"));
            }
        }
        // A client that trusts only the default CAs fails: the certificate is self-signed.
        try (SSLSocket s = (SSLSocket) javax.net.ssl.SSLSocketFactory.getDefault()
                .createSocket(t.host(), t.pop3sPort())) {
            s.setSoTimeout(SOCKET_TIMEOUT_MS);
            assertThrows(SSLHandshakeException.class, s::startHandshake);
        }
        assertThrows(IllegalStateException.class, () -> RealServers.dovecot().imapsPort());
    }

    private static byte[] retrieve(POP3Client pop, int n) throws IOException {
        // POP3Client reads ISO-8859-1, one char per byte, and undoes the dot-stuffing.
        try (Reader r = pop.retrieveMessage(n)) {
            StringBuilder sb = new StringBuilder();
            char[] buf = new char[8192];
            for (int k; (k = r.read(buf)) >= 0; ) {
                sb.append(buf, 0, k);
            }
            return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    private static boolean endsWith(byte[] all, byte[] tail) {
        return all.length >= tail.length
                && Arrays.equals(all, all.length - tail.length, all.length, tail, 0, tail.length);
    }

    /** A line-oriented socket peer with bounded reads, plus IMAP literal reading. */
    private static final class Line implements AutoCloseable {
        private static final Pattern LITERAL = Pattern.compile("\\{(\\d+)}$");
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Line(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        static Line connect(String host, int port) throws IOException {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(host, port), SOCKET_TIMEOUT_MS);
            s.setSoTimeout(SOCKET_TIMEOUT_MS);
            return new Line(s);
        }

        void send(String line) throws IOException {
            sendBytes((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        }

        void sendBytes(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        /** One line without CRLF (at most 64 KB). */
        String read() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b; (b = in.read()) != '\n'; ) {
                if (b < 0 || line.size() > 65536) {
                    throw new IOException("closed or overlong line: " + line);
                }
                line.write(b);
            }
            String s = line.toString(StandardCharsets.UTF_8);
            return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
        }

        /** Sends {@code command} (a tag, a space, the rest) and asserts that its tagged reply is OK. */
        void ok(String command) throws IOException {
            String tag = command.substring(0, command.indexOf(' '));
            send(command);
            assertTrue(readUntilTagged(tag).startsWith(tag + " OK"), command);
        }

        /** Reads lines up to and including the tagged one (at most 1000 lines). */
        String readUntilTagged(String tag) throws IOException {
            for (int i = 0; i < 1000; i++) {
                String line = read();
                if (line.startsWith(tag + " ")) {
                    return line;
                }
            }
            throw new IOException("no tagged reply " + tag);
        }

        /** An SMTP multi-line reply, all lines joined. */
        String readSmtp() throws IOException {
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < 100; i++) {
                String line = read();
                all.append(line).append('\n');
                if (line.length() < 4 || line.charAt(3) != '-') {
                    return all.toString();
                }
            }
            throw new IOException("overlong SMTP reply");
        }

        /** Reads the {@code * n FETCH (BODY[] {size}} line and returns the literal's bytes. */
        byte[] fetchLiteral() throws IOException {
            String line = read();
            Matcher m = LITERAL.matcher(line);
            if (!line.startsWith("* ") || !m.find()) {
                throw new IOException("expected a FETCH literal, got: " + line);
            }
            byte[] literal = in.readNBytes(Integer.parseInt(m.group(1)));
            read(); // the closing ")"
            return literal;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
