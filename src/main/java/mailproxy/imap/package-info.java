/**
 * IMAP (RFC 9051) before login: the command parser on wire.CommandReader
 * ({@code ImapParser} into the sealed {@code ImapCommand}), the pre-login session
 * ({@code ImapSession implements ProtocolSession}), the backend login
 * ({@code ImapBackendLogin}: LOGIN or AUTHENTICATE, the client's address by ID, RFC 2971)
 * and the replies ({@code ImapReplies}). It may import session, route ({@code Route},
 * {@code Target}, {@code LoginRequest}), config, sasl and wire; never another protocol
 * (docs/ARCHITECTURE.md, "Packages").
 */
package mailproxy.imap;
