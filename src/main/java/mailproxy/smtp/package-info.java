/**
 * SMTP submission (RFC 6409) and inbound mail (mx mode) before the relay: the command
 * parser ({@code SmtpCommand}, its envelope commands parsed by envelope.SmtpFamilyParser),
 * the pre-login session ({@code SmtpSession implements ProtocolSession}: EHLO, AUTH of RFC
 * 4954, STARTTLS, MAIL and RCPT kept for routing), the backend login
 * ({@code SmtpBackendLogin}: EHLO, XCLIENT, AUTH, or the envelope replayed) and the
 * replies ({@code SmtpReply}). It may import session, route ({@code Route},
 * {@code Target}, {@code LoginRequest}), config, sasl, wire and envelope; never lmtp, with
 * which it shares only envelope (docs/ARCHITECTURE.md, "Packages").
 */
package mailproxy.smtp;
