package mailproxy.config;

import java.util.Map;
import java.util.function.Predicate;

/**
 * What the code outside a protocol's own package needs to know about it, given once per
 * protocol in {@link Protocol} (docs/ARCHITECTURE.md, "Where things go": a protocol).
 *
 * @param defaultPort    a backend section's port when it names none (its registered port)
 * @param defaultBalance a backend section's balance when it names none
 * @param login          clients log in (false: LMTP, whose clients are trusted by address
 *                       and whose listeners offer no SASL mechanism)
 * @param health         how an active health check talks to a backend (route.HealthProbe)
 * @param redaction      what a trace hides of the client's login (trace.Redactor, which
 *                       merges every protocol's, since it recognises a login by its words)
 */
public record ProtocolSpec(int defaultPort, Backend.Balance defaultBalance, boolean login, HealthCheck health,
                           Redaction redaction) {

    /**
     * One active check's dialogue: read the greeting, say goodbye.
     *
     * @param continues a greeting line that more greeting lines follow
     * @param greets    the greeting line that says the server takes logins
     * @param goodbye   the line (without CRLF) that ends the session politely
     */
    public record HealthCheck(Predicate<String> continues, Predicate<String> greets, String goodbye) {}

    /**
     * The login's secrets as a trace sees them.
     *
     * @param commands   command word → how many of its arguments are shown before the rest
     *                   is hidden; a word starting with AUTH begins a SASL exchange
     * @param saslGoesOn a server line in a SASL exchange that does not end it (a challenge);
     *                   every client line is hidden until one that does
     * @param literals   the protocol has literals ({n}, {n+}): a size at the end of a secret
     *                   command is framing; without them (POP3, SMTP) it is password
     */
    public record Redaction(Map<String, Integer> commands, Predicate<String> saslGoesOn, boolean literals) {
        public Redaction {
            commands = Map.copyOf(commands);
        }
    }
}
