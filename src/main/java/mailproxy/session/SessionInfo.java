package mailproxy.session;

import java.time.Instant;

/**
 * A snapshot of one open session for the admin's GET /sessions (never a password).
 *
 * @param state login (still talking to the proxy) or relay
 * @param up bytes relayed client to backend so far
 * @param down bytes relayed backend to client so far
 */
public record SessionInfo(String id, String protocol, String listener, String client, String user, String backend,
                          Instant since, String state, long up, long down) {}
