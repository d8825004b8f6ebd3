package mailproxy.pool;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import mailproxy.testing.DecoyPool;
import mailproxy.testing.RawClient;
import mailproxy.testing.Sasl;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * ClientCannotMarkServersDownTest's attack on a ManageSieve pool: a backend that hangs up
 * on what one client sent in its AUTHENTICATE (an oversized name, bytes it does not like)
 * has answered that client; the server stays in the pool and the next user's login goes
 * there, not to the decoy (docs/SECURITY.md, "Backends and pools").
 */
@Timeout(60)
class SieveClientCannotMarkServersDownTest {

    /** RFC 5804 §1.7: capabilities, then OK; AUTHENTICATE "PLAIN" "b64" answered by {@code answer}. */
    private static ScriptedServer sieve(java.util.function.Function<String, String> answer) throws Exception {
        return new ScriptedServer(peer -> {
            peer.send("\"IMPLEMENTATION\" \"scripted\"\r\n\"SASL\" \"PLAIN\"\r\n\"VERSION\" \"1.0\"\r\nOK\r\n");
            String line = peer.readLine();
            if (line == null || !line.startsWith("AUTHENTICATE")) return;
            String b64 = line.substring(line.lastIndexOf(' ') + 1).replace("\"", "");
            String plain = new String(Base64.getDecoder().decode(b64), StandardCharsets.ISO_8859_1);
            String reply = answer.apply(plain);
            if (reply == null) return; // hangs up on this client's credentials
            peer.send(reply + "\r\n");
            peer.readLine(); // LOGOUT, or the end
        });
    }

    /** The proxy's greeting: capability lines, then OK (RFC 5804 §1.7). */
    private static void greeting(RawClient c) throws Exception {
        for (int i = 0; i < 20 && c.readLine().startsWith("\""); i++) {
            // a capability line
        }
    }

    @Test
    void aLoginTheBackendHangsUpOnLeavesTheServerInThePool() throws Exception {
        try (ScriptedServer real = sieve(plain -> plain.contains("attacker") ? null : "OK \"Logged in\"");
             ScriptedServer decoy = sieve(plain -> "NO \"the decoy\"");
             TestProxy proxy = TestProxy.start(DecoyPool.config("sieve", real.port(), decoy.port(), "port = 4190"))) {
            try (RawClient attacker = RawClient.connect(proxy.port("sieve"))) {
                greeting(attacker);
                attacker.line("AUTHENTICATE \"PLAIN\" \"" + Sasl.plain("attacker", "x") + "\"");
                // the backend hung up: a temporary failure for this client only
                attacker.expect("BYE (TRYLATER)");
            }
            try (RawClient bob = RawClient.connect(proxy.port("sieve"))) {
                greeting(bob);
                bob.line("AUTHENTICATE \"PLAIN\" \"" + Sasl.plain("bob", "secret") + "\"");
                // the real server's answer: the decoy would have said NO "the decoy"
                bob.expect("OK \"Logged in\"");
            }
        }
    }
}
