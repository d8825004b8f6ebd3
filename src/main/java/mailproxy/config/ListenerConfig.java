package mailproxy.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import mailproxy.wire.CidrSet;

/**
 * One listener (an element of mailproxy.listeners, over mailproxy.listener-defaults).
 *
 * @param auth the SASL mechanisms announced and accepted, lower case: never "none" (see
 *     {@code smtpAuthNone}), and no "external" where no client certificate can exist (no
 *     TLS, or tls-client-auth = none)
 * @param proxyProtocol every connection starts with a PROXY protocol header (v1 or v2)
 * @param trustedProxies peers allowed to send that header; not empty when proxyProtocol
 * @param limits mailproxy.limits with this listener's timeout, max-errors, line-length and
 *     proxy-timeout, where it sets them
 * @param relayBufferSize mailproxy.relay.buffer-size, or this listener's relay-buffer-size
 * @param smtpCapabilities extra EHLO lines (keyword and parameters) the backend supports
 * @param smtpAuthNone SMTP: "none" was in auth, so MAIL without AUTH is taken and routed
 *     as in mx mode (nginx smtp_auth none)
 * @param lmtp LMTP: message size, buffering and recipient limits (lmtp-* keys)
 * @param sieve ManageSieve: what the greeting announces before login (sieve-* keys)
 * @param trace every session writes its protocol dialogue to the mailproxy.trace log
 * @param traceRelayBytes a traced session also shows this many bytes of the relay each way
 */
public record ListenerConfig(
        String name,
        Protocol protocol,
        List<InetSocketAddress> addresses,
        String router,
        List<String> auth,
        List<String> pop3Capabilities,
        List<String> imapCapabilities,
        SmtpMode smtpMode,
        long smtpSize,
        Duration smtpGreetingDelay,
        ListenerTls tls,
        boolean pop3Apop,
        boolean proxyProtocol,
        CidrSet trustedProxies,
        Limits limits,
        int relayBufferSize,
        List<String> smtpCapabilities,
        boolean smtpAuthNone,
        Lmtp lmtp,
        Sieve sieve,
        boolean trace,
        int traceRelayBytes) {

    /** SMTP listener kind: submission needs AUTH before MAIL; mx takes mail without it. */
    public enum SmtpMode { SUBMISSION, MX }

    /**
     * LMTP delivery limits.
     *
     * @param maxMessageSize the largest message (bytes as sent, dot-stuffing included);
     *     past it every recipient gets 552 (RFC 5321 §4.5.3.1.7)
     * @param memoryBuffer a message split over several backends is kept in memory up to
     *     this size, beyond it in a temporary file
     * @param tempDir where those files go
     * @param maxRecipients RCPTs per transaction; past it 452 (RFC 5321 §4.5.3.1.10)
     * @param lineLength the longest line of message data, CRLF included
     * @param bareNewline what a line end other than CRLF gets, in commands and in the data
     * @param clients who may deliver (LMTP has no AUTH); behind a trusted proxy, the client
     *     its PROXY header names
     */
    public record Lmtp(long maxMessageSize, long memoryBuffer, java.nio.file.Path tempDir, int maxRecipients,
                       int lineLength, BareNewline bareNewline, CidrSet clients) {}

    /**
     * lmtp-bare-newline: RFC 5321 §2.3.8 and §4.1.1.4 know only CRLF; a bare LF or CR is
     * refused (as Postfix's smtpd_forbid_bare_newline = reject), or taken as CRLF. Either
     * way only CRLF "." CRLF ends the data, so nothing can be smuggled past it.
     */
    public enum BareNewline { REJECT, NORMALIZE }

    /**
     * The ManageSieve greeting's values before login (RFC 5804 §1.7); after login the
     * backend's own capabilities apply.
     *
     * @param notifyMethods the NOTIFY capability's methods, or empty to leave it out
     */
    public record Sieve(String implementation, String extensions, String notifyMethods) {}

    /** Whether {@code mechanism} is announced and accepted here; never for "none". */
    public boolean offers(String mechanism) {
        return auth.stream().anyMatch(m -> m.equalsIgnoreCase(mechanism));
    }
}
