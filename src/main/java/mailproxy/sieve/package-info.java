/**
 * ManageSieve (RFC 5804) before login: the command parser on wire.CommandReader
 * ({@code SieveParser} into the sealed {@code SieveCommand}), the pre-login session
 * ({@code SieveSession implements ProtocolSession}: the capability greeting, STARTTLS,
 * AUTHENTICATE), the backend login ({@code SieveBackendLogin}) and the replies
 * ({@code SieveReplies}). It may import session, route ({@code Route}, {@code Target},
 * {@code LoginRequest}), config, sasl and wire; never imap, with which it shares only
 * wire.CommandReader (docs/ARCHITECTURE.md, "Packages").
 */
package mailproxy.sieve;
