package mailproxy.pool;

import mailproxy.testing.DecoyPool;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealDovecot;
import mailproxy.testing.RealPostfix;
import mailproxy.testing.RealServers;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Passive marking (docs/ARCHITECTURE.md, "Backend pools") is about servers that fail, not
 * about what a client makes them say: a backend that hangs up on an oversized user name,
 * or refuses an overlong HELO name, has answered that client. An unauthenticated client
 * must not be able to take a server out of its pool, which would send everyone else's
 * logins, passwords included, to the next server.
 *
 * <p>Each pool: a real server, which every login goes to first (smooth weighted round
 * robin, weight 1000 against 1), and a decoy that refuses what the victim sends.
 */
@Timeout(60)
class ClientCannotMarkServersDownTest {
    /** More than Dovecot's login processes buffer (4 KB), less than limits.literal-size (8 KB). */
    private static final String HUGE_USER = "u".repeat(6000);
    /** Longer than Postfix takes in XCLIENT HELO= ("501 5.5.4 Error: attribute value too long"). */
    private static final String HUGE_HELO = "h".repeat(2100);

    private static FakeBackend imapDecoy;
    private static FakeBackend smtpDecoy;
    private static TestProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        RealDovecot dovecot = RealServers.dovecot();
        RealPostfix postfix = RealServers.postfix();
        imapDecoy = FakeBackends.imap().accept("decoy", "decoy-pw").start();
        smtpDecoy = FakeBackends.smtp().start().override("RCPT", "550 5.1.1 the decoy");
        proxy = TestProxy.start("""
                mailproxy {
                  backends {
                    dovecots { %s }
                    postfixes { %s }
                  }
                  routers {
                    imap { type = static, default = dovecots }
                    mx { type = static, default = postfixes }
                  }
                  listeners = [
                    { name = imap, protocol = imap, listen = "127.0.0.1:0", router = imap }
                    { name = mx, protocol = smtp, listen = "127.0.0.1:0", router = mx, smtp-mode = mx }
                  ]
                }""".formatted(DecoyPool.body("imap", dovecot.imapPort(), imapDecoy.port(), "port = 143"),
                            DecoyPool.body("smtp", postfix.smtpPort(), smtpDecoy.port(), "port = 25, xclient = true")));
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) proxy.close();
        if (imapDecoy != null) imapDecoy.close();
        if (smtpDecoy != null) smtpDecoy.close();
    }

    @Test
    void imapLoginTheBackendHangsUpOnLeavesTheServerInThePool() throws Exception {
        try (RawClient attacker = RawClient.connect(proxy.port("imap"))) {
            attacker.expect("* OK");
            // Dovecot: "* BYE Input buffer full, aborting", then it closes
            attacker.send("a LOGIN {" + HUGE_USER.length() + "+}\r\n" + HUGE_USER + " {1+}\r\nx\r\n");
            attacker.transcript("""
                    S: a NO [UNAVAILABLE]...
                    S: * BYE...
                    """);
        }
        try (RawClient bob = RawClient.connect(proxy.port("imap"))) {
            bob.expect("* OK");
            bob.transcript("""
                    C: b LOGIN bob secret
                    # Dovecot's answer: the decoy would have said NO
                    S: b OK...
                    C: c LOGOUT
                    S: * BYE...
                    S: c OK...
                    """);
        }
    }

    @Test
    void mxHeloTheBackendRefusesLeavesTheServerInThePool() throws Exception {
        try (RawClient attacker = RawClient.connect(proxy.port("mx"))) {
            attacker.expect("220 ");
            attacker.line("EHLO " + HUGE_HELO);
            attacker.smtpReply();
            // Postfix refuses the proxy's XCLIENT HELO=<that name>: a temporary failure for this client
            attacker.transcript("""
                    C: MAIL FROM:<spam@attacker.example>
                    S: 250...
                    C: RCPT TO:<bob@example.test>
                    S: 421...
                    """);
        }
        try (RawClient mx = RawClient.connect(proxy.port("mx"))) {
            mx.expect("220 ");
            mx.line("EHLO sender.example");
            mx.smtpReply();
            mx.transcript("""
                    C: MAIL FROM:<alice@sender.example>
                    S: 250...
                    C: RCPT TO:<bob@example.test>
                    # Postfix's answer: the decoy would have said 550
                    S: 250...
                    C: QUIT
                    S: 221...
                    """);
        }
    }
}
