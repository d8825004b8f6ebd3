/**
 * POP3 (RFC 1939) before login: the command parser ({@code Pop3Command}), the pre-login
 * session ({@code Pop3Session implements ProtocolSession}: USER/PASS, APOP, AUTH of RFC
 * 5034, STLS of RFC 2595), the backend login ({@code Pop3BackendLogin}, with XCLIENT) and
 * the replies ({@code Pop3Replies}). It may import session, route ({@code Route},
 * {@code Target}, {@code LoginRequest}), config, sasl and wire; never another protocol
 * (docs/ARCHITECTURE.md, "Packages").
 */
package mailproxy.pop3;
