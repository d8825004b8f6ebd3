package mailproxy.route;

import java.net.InetSocketAddress;
import mailproxy.config.Protocol;

/**
 * What a client presented, for the router to decide on. Strings are wire bytes as
 * ISO-8859-1 chars (see wire.Connection).
 *
 * @param method   auth_http's Auth-Method: plain (USER/PASS, LOGIN, AUTH PLAIN/LOGIN),
 *                 apop, cram-md5, external, none (SMTP MX mode)
 * @param password the password, or the client's digest for apop/cram-md5; empty for none
 * @param salt     the challenge the proxy sent for apop/cram-md5, else empty
 * @param attempt  1 for the first login on this connection, +1 per retry
 * @param smtp     the SMTP envelope facts in MX mode, else null
 * @param tls      the client connection's TLS facts, or null on a plain-text connection
 */
public record LoginRequest(
        Protocol protocol,
        String method,
        String user,
        String password,
        String salt,
        int attempt,
        InetSocketAddress client,
        InetSocketAddress local,
        String sessionId,
        SmtpFacts smtp,
        TlsFacts tls) {

    /** A login on a plain-text connection (no TLS facts). */
    public LoginRequest(Protocol protocol, String method, String user, String password, String salt, int attempt,
                        InetSocketAddress client, InetSocketAddress local, String sessionId, SmtpFacts smtp) {
        this(protocol, method, user, password, salt, attempt, client, local, sessionId, smtp, null);
    }

    /** SMTP facts the router may want: the HELO name and the MAIL / RCPT lines as sent. */
    public record SmtpFacts(String helo, String from, String to) {}

    /**
     * The client's TLS session, as auth_http reports it (nginx's Auth-SSL-* headers). Any
     * field may be null when unknown; the certificate fields are null without a client
     * certificate. Unlike the other strings here these are Java text (sent as UTF-8).
     *
     * @param protocol    e.g. TLSv1.3
     * @param cipher      e.g. TLS_AES_128_GCM_SHA256
     * @param verify      client certificate check: SUCCESS, FAILED:reason or NONE
     * @param subject     client certificate subject DN (RFC 2253)
     * @param issuer      client certificate issuer DN (RFC 2253)
     * @param serial      client certificate serial number, hex
     * @param fingerprint SHA-1 of the client certificate (DER), hex
     */
    public record TlsFacts(String protocol, String cipher, String verify, String subject, String issuer,
                           String serial, String fingerprint) {}

    @Override
    public String toString() {
        // never the password: records print every field by default
        return "LoginRequest[" + protocol.id() + " " + method + " user=" + user + " attempt=" + attempt
                + " client=" + client + "]";
    }
}
