/**
 * IMAP (RFC 9051) before login: the command parser on wire.CommandReader
 * ({@code ImapParser} into the sealed {@code ImapCommand}), the pre-login session
 * ({@code ImapSession implements ProtocolSession}), the backend login
 * ({@code ImapBackendLogin}: STARTTLS, the client's address by ID, RFC 2971; {@code ImapBackendAuth}:
 * LOGIN or AUTHENTICATE; {@code ImapBackendDialogue}: the backend's responses, bounded)
 * and the replies ({@code ImapReplies}). It may import session, route ({@code Route},
 * {@code Target}, {@code LoginRequest}), config, sasl and wire; never another protocol
 * (docs/ARCHITECTURE.md, "Packages").
 */
package mailproxy.imap;
