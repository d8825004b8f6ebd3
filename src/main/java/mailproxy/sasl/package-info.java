/**
 * The server side of the SASL exchanges (RFC 4422): PLAIN, LOGIN, CRAM-MD5, EXTERNAL,
 * OAUTHBEARER (RFC 7628, with its error challenge) and XOAUTH2, through a protocol's
 * {@code Challenger}, which frames the challenges as IMAP, POP3, SMTP or ManageSieve does;
 * the result is {@code Credentials}. It imports nothing of ours (docs/ARCHITECTURE.md,
 * "Packages").
 */
package mailproxy.sasl;
