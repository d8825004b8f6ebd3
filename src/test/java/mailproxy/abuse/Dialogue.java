package mailproxy.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.RawClient;

/**
 * One client of one protocol, speaking just enough to log in: the greeting (and EHLO for
 * SMTP), then a password login (IMAP LOGIN, POP3 USER/PASS, SMTP AUTH PLAIN) whose final
 * reply line it returns, with how long the reply took.
 */
final class Dialogue implements AutoCloseable {
    final String protocol;
    final RawClient client;
    private int tags;
    /** Milliseconds from sending the password to reading the reply, of the last login. */
    long lastReplyMillis;

    private Dialogue(String protocol, RawClient client) {
        this.protocol = protocol;
        this.client = client;
    }

    /** Connects from {@code sourceIp} (a loopback address) and reads the greeting; SMTP says EHLO. */
    static Dialogue open(String protocol, String sourceIp, InetSocketAddress proxy) throws IOException {
        Dialogue d = new Dialogue(protocol, Probes.connectFrom(sourceIp, proxy));
        d.client.expect(switch (protocol) {
            case "imap" -> "* OK";
            case "pop3" -> "+OK";
            default -> "220 ";
        });
        if (protocol.equals("smtp")) {
            d.client.line("EHLO client.example");
            while (!d.client.expect("250").startsWith("250 ")) {
                // the EHLO lines up to "250 "
            }
        }
        return d;
    }

    /** The reply to a login with these credentials (IMAP: the tagged line; an untagged BYE after it stays unread). */
    String login(String user, String password) throws IOException {
        switch (protocol) {
            case "imap" -> {
                String tag = "a" + (++tags);
                long t0 = System.nanoTime();
                client.line(tag + " LOGIN " + user + " " + password);
                String line;
                do {
                    line = client.readLine();
                } while (line != null && !line.startsWith(tag + " "));
                lastReplyMillis = (System.nanoTime() - t0) / 1_000_000;
                return line == null ? null : line.substring(tag.length() + 1);
            }
            case "pop3" -> {
                client.line("USER " + user);
                client.expect("+OK");
                long t0 = System.nanoTime();
                client.line("PASS " + password);
                String reply = client.readLine();
                lastReplyMillis = (System.nanoTime() - t0) / 1_000_000;
                return reply;
            }
            default -> {
                String plain = Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
                long t0 = System.nanoTime();
                client.line("AUTH PLAIN " + plain);
                String reply = client.readLine();
                lastReplyMillis = (System.nanoTime() - t0) / 1_000_000;
                return reply;
            }
        }
    }

    /** The protocol's success reply to a login at the fake backends. */
    static boolean success(String protocol, String reply) {
        return reply != null && switch (protocol) {
            case "imap" -> reply.startsWith("OK");
            case "pop3" -> reply.startsWith("+OK");
            default -> reply.startsWith("235 ");
        };
    }

    /** The protocol's ordinary "wrong password" reply from the fake backends (the client may retry). */
    static String refused(String protocol) {
        return switch (protocol) {
            case "imap" -> FakeBackends.IMAP_REFUSED;
            case "pop3" -> FakeBackends.POP3_REFUSED;
            default -> FakeBackends.SMTP_REFUSED;
        };
    }

    /** The guard's reply to a login from a blocked address; the connection is closed after it. */
    static String blocked(String protocol) {
        return switch (protocol) {
            case "imap" -> "NO [AUTHENTICATIONFAILED] Too many failed logins, try again later";
            case "pop3" -> "-ERR Too many failed logins, try again later";
            default -> "421 4.7.0 Too many failed logins, try again later";
        };
    }

    /** Asserts the login was refused the ordinary way (the session goes on). */
    void assertRefused(String user, String password) throws IOException {
        assertEquals(refused(protocol), login(user, password), protocol + " login " + user);
    }

    /** Asserts the proxy says what it says to a blocked address and closes. */
    void assertBlocked(String user, String password) throws IOException {
        assertEquals(blocked(protocol), login(user, password), protocol + " blocked login " + user);
        if (protocol.equals("imap")) assertEquals("* BYE Closing connection", client.readLine());
        assertTrue(client.closedByPeer(), "closed after the block reply");
    }

    /** Logs out (IMAP LOGOUT, POP3/SMTP QUIT) and reads until the close. */
    void logout() throws IOException {
        client.line(protocol.equals("imap") ? "z LOGOUT" : "QUIT");
        client.readToEnd();
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
