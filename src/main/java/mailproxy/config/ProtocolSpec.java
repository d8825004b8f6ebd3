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
 * @param secretCommands command word → how many of its arguments a trace shows before the
 *                       rest is hidden (trace.Redactor, which merges every protocol's words)
 */
public record ProtocolSpec(int defaultPort, Backend.Balance defaultBalance, boolean login, HealthCheck health,
                           Map<String, Integer> secretCommands) {

    public ProtocolSpec {
        secretCommands = Map.copyOf(secretCommands);
    }

    /**
     * One active check's dialogue: read the greeting, say goodbye.
     *
     * @param continues a greeting line that more greeting lines follow
     * @param greets    the greeting line that says the server takes logins
     * @param goodbye   the line (without CRLF) that ends the session politely
     */
    public record HealthCheck(Predicate<String> continues, Predicate<String> greets, String goodbye) {}
}
