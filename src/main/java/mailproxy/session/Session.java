package mailproxy.session;

import java.io.IOException;
import java.net.InetSocketAddress;
import mailproxy.config.Limits;
import mailproxy.config.ListenerConfig;
import mailproxy.route.LoginRequest;
import mailproxy.sasl.Challenger;
import mailproxy.sasl.Credentials;
import mailproxy.sasl.SaslException;
import mailproxy.tls.TlsFacts;
import mailproxy.wire.Connection;

/**
 * What a protocol session may use: the client connection and its facts, STARTTLS, SASL,
 * and the login (route → backend → backend login). Everything else about a connection
 * (permits, the relay, the log line) is the session's own business.
 */
public interface Session {
    Connection client();

    ListenerConfig listener();

    /** The limits in force for this listener. */
    Limits limits();

    /** Host name for greetings and EHLO. */
    String serverName();

    InetSocketAddress clientAddress();

    InetSocketAddress localAddress();

    /** A short id for logs and IMAP's x-session-id. */
    String sessionId();

    /** TLS facts of the client connection, or null while it is plaintext. */
    TlsFacts tls();

    default boolean secure() { return tls() != null; }

    /** The listener wants STARTTLS before any login and this connection has not done it. */
    boolean tlsRequired();

    /** The listener offers STARTTLS/STLS and this connection is still plaintext. */
    boolean canStartTls();

    /**
     * STARTTLS / STLS after the go-ahead reply: what the client sent behind its command is
     * thrown away unread (RFC 3207 §4.2, RFC 2595 §3.1; nginx CVE-2014-3556), then the
     * handshake. The protocol then starts over as the RFCs require.
     */
    void startTls() throws IOException;

    /**
     * Reads one client line (without CRLF) within limits.line-length and limits.timeout.
     *
     * @throws java.io.EOFException at end of input
     */
    String readLine() throws IOException;

    /**
     * Runs a SASL exchange the protocol's way ({@code challenger}), with what only the
     * session knows: the verified client certificate's identity (EXTERNAL) and the server
     * name (CRAM-MD5's challenge).
     */
    Credentials authenticate(String mechanism, String initialResponse, Challenger challenger)
            throws SaslException, IOException;

    /**
     * One login attempt: the router decides, the backend is connected, {@code backend} logs
     * in there and the answer reaches the client. The attempt counter, addresses, session id
     * and TLS facts are the session's; the protocol gives what is its own.
     *
     * @param smtp the SMTP envelope facts in MX mode, else null
     */
    Next login(Credentials credentials, LoginRequest.SmtpFacts smtp, BackendLogin backend)
            throws IOException, InterruptedException;

    /** Records how the session ended, for its log line. */
    void outcome(Outcome outcome);

    /**
     * Routing and backend connections without a login, for a session that talks to several
     * backends at once (LMTP: each recipient routed on its own). Closed with the session.
     */
    Backends backends();
}
