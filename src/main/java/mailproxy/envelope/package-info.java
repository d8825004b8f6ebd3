/**
 * The command grammar the SMTP family shares, written once: {@link
 * mailproxy.envelope.SmtpFamilyParser} reads a command line of SMTP or LMTP (RFC 5321
 * §4.1.1, RFC 2033 §4) into the protocol's own records, given as {@link
 * mailproxy.envelope.SharedCommands}: the envelope (MAIL FROM with RFC 1870 SIZE, RCPT TO,
 * their paths, RFC 5321 §4.1.2) and the verbs both protocols have; and {@link
 * mailproxy.envelope.SmtpFamilyReplies}, the one reply writer of both (RFC 5321 §4.2). smtp and lmtp import it;
 * it imports nothing of ours (docs/ARCHITECTURE.md, "Packages").
 */
package mailproxy.envelope;
