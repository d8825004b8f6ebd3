package mailproxy.lmtp;

import mailproxy.testing.DecoyPool;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * pool.ClientCannotMarkServersDownTest's attack through LMTP: a backend that hangs up on one
 * sender's recipient address (or message) has answered that delivery; it stays in its pool
 * and the next delivery goes there, not to the decoy (docs/SECURITY.md, "Backends and pools").
 */
@Timeout(60)
class LmtpSenderCannotMarkServersDownTest {

    /** RFC 2033: 220, LHLO, MAIL, RCPT answered by {@code rcpt} (null: hang up), DATA, a 250 per recipient. */
    private static ScriptedServer lmtp(java.util.function.Function<String, String> rcpt) throws Exception {
        return new ScriptedServer(peer -> {
            peer.send("220 scripted LMTP\r\n");
            int recipients = 0;
            for (String line = peer.readLine(); line != null; line = peer.readLine()) {
                String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase(java.util.Locale.ROOT) : line;
                switch (verb) {
                    case "LHLO" -> peer.send("250-scripted\r\n250 PIPELINING\r\n");
                    case "MAIL" -> peer.send("250 2.1.0 Ok\r\n");
                    case "RCPT" -> {
                        String answer = rcpt.apply(line);
                        if (answer == null) return; // hangs up on this recipient
                        if (answer.startsWith("250")) recipients++;
                        peer.send(answer + "\r\n");
                    }
                    case "DATA" -> {
                        peer.send("354 go ahead\r\n");
                        for (String l = peer.readLine(); l != null && !l.equals("."); l = peer.readLine()) {
                            // the message
                        }
                        for (int i = 0; i < recipients; i++) peer.send("250 2.0.0 Saved\r\n");
                        recipients = 0;
                    }
                    case "QUIT" -> {
                        peer.send("221 Bye\r\n");
                        return;
                    }
                    default -> peer.send("250 2.0.0 Ok\r\n");
                }
            }
        });
    }

    @Test
    void aRecipientTheBackendHangsUpOnLeavesTheServerInThePool() throws Exception {
        try (ScriptedServer real = lmtp(line -> line.contains("evil") ? null : "250 2.1.5 Ok");
             ScriptedServer decoy = lmtp(line -> "550 5.1.1 the decoy");
             TestProxy p = TestProxy.start(DecoyPool.config("lmtp", real.port(), decoy.port(), "port = 24"))) {
            try (RawClient mta = LmtpFixture.lhlo(RawClient.connect(p.port("lmtp")))) {
                mta.transcript("""
                        C: MAIL FROM:<spammer@attacker.example>
                        S: 250...
                        C: RCPT TO:<evil@one.test>
                        # the backend hung up: a temporary failure for this recipient only
                        S: 451...
                        C: QUIT
                        S: 221...
                        """);
            }
            try (RawClient mta = LmtpFixture.lhlo(RawClient.connect(p.port("lmtp")))) {
                mta.transcript("""
                        C: MAIL FROM:<alice@sender.example>
                        S: 250...
                        C: RCPT TO:<bob@one.test>
                        # the real server's answer: the decoy would have said 550
                        S: 250 2.1.5 Ok
                        C: QUIT
                        S: 221...
                        """);
            }
        }
    }
}
