package mailproxy.route;

import java.net.InetSocketAddress;
import mailproxy.config.Protocol;
import mailproxy.tls.TlsFacts;
import mailproxy.wire.ProxyHeader;

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
 * @param tls      the client connection's TLS facts (auth_http's Auth-SSL headers), or null
 *                 on a plain-text connection
 * @param proxy    the PROXY protocol header the connection came with (auth_http's
 *                 Proxy-Protocol-* headers), or null; {@code client} is already its source
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
        TlsFacts tls,
        ProxyHeader proxy) {

    /** A login on a plain-text connection (no TLS facts), straight from the client. */
    public LoginRequest(Protocol protocol, String method, String user, String password, String salt, int attempt,
                        InetSocketAddress client, InetSocketAddress local, String sessionId, SmtpFacts smtp) {
        this(protocol, method, user, password, salt, attempt, client, local, sessionId, smtp, null, null);
    }


    /**
     * What a pool's user-hash balances on: the login name, lower-cased; in SMTP MX mode
     * (no login) the recipient's address, lower-cased.
     */
    public String routingKey() {
        String key = user.isEmpty() && smtp != null ? StaticRouter.recipient(smtp.to()) : user;
        return key.toLowerCase(java.util.Locale.ROOT);
    }

    /** SMTP facts the router may want: the HELO name and the MAIL / RCPT lines as sent. */
    public record SmtpFacts(String helo, String from, String to) {}

    @Override
    public String toString() {
        // never the password: records print every field by default
        return "LoginRequest[" + protocol.id() + " " + method + " user=" + user + " attempt=" + attempt
                + " client=" + client + "]";
    }
}
