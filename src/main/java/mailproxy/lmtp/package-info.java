/**
 * LMTP delivery routing (RFC 2033): no login and no relay; each RCPT is routed on its own
 * through {@code Session.backends()}, one backend transaction per server
 * ({@code Transaction}, {@code Leg}), the message read once ({@code MessageReader}: only
 * CRLF "." CRLF ends DATA) and kept in memory or in the owner-only spool ({@code Spool},
 * {@code SpoolDir}, made ready by server.ProtocolRegistry before the listeners bind), and
 * a reply per recipient after DATA ({@code LmtpReplies}). It may import session, route,
 * config, wire and envelope; never smtp, with which it shares only envelope
 * (docs/ARCHITECTURE.md, "Packages").
 */
package mailproxy.lmtp;
