/**
 * The seam a protocol sees, written once for all of them: {@code Session} (with the AUTH
 * path {@code authenticateAndLogin}), the session story {@code LiveSession}, the one
 * command loop {@code CommandLoop} (max-errors, the endings of the input, {@code Linger}),
 * the login plumbing {@code Login} (guard, route, failover over the pool, RFC 7628's error
 * challenge), the interfaces a protocol implements ({@code ProtocolSession},
 * {@code BackendLogin}), {@code Answer}, {@code Replies}, {@code Outcome},
 * {@code Backends} for LMTP's routing without a login, the listener's meters and the audit
 * line. It may import route, guard, config, tls, sasl, wire, metrics and trace; never
 * server or a protocol package, which is what lets a protocol be added as a folder
 * (docs/ARCHITECTURE.md, "Packages").
 */
package mailproxy.session;
