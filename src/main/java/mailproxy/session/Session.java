package mailproxy.session;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.function.Function;
import java.util.function.UnaryOperator;
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
     * A refused token login (OAUTHBEARER, XOAUTH2) first gets RFC 7628 §3.2.2's error
     * challenge through {@code challenger}: the backend's own when it sent one
     * ({@link BackendLogin#errorChallenge()}), else the proxy's.
     *
     * @param smtp the SMTP envelope facts in MX mode, else null
     * @param challenger the client's SASL exchange, or null for a login without one
     */
    Next login(Credentials credentials, LoginRequest.SmtpFacts smtp, BackendLogin backend, Challenger challenger)
            throws IOException, InterruptedException;

    /**
     * One AUTH command, the same path in every protocol: a mechanism the listener offers,
     * the SASL exchange, the login; a SASL failure is the protocol's error (counted toward
     * max-errors by the command loop), a refused login is counted too.
     *
     * @param auth the command's mechanism and initial response, and the protocol's ways
     * @return the answer for the command loop
     */
    default Answer authenticateAndLogin(Auth auth) throws IOException, InterruptedException {
        if (!listener().offers(auth.mechanism())) return Answer.error(auth.error().apply(auth.replies().authUnsupported()));
        Credentials credentials;
        try {
            credentials = authenticate(auth.mechanism(), auth.initialResponse(), auth.challenger());
        } catch (SaslException e) {
            return Answer.error(auth.error().apply(auth.replies().forSasl(e)));
        }
        return Answer.afterLogin(login(credentials, null, auth.backend().apply(credentials), auth.challenger()));
    }

    /**
     * What a protocol brings to {@link #authenticateAndLogin}.
     *
     * @param initialResponse the initial response (RFC 4959, RFC 4954 §4), or null
     * @param challenger sends a challenge the protocol's way and reads the answer
     * @param replies the protocol's SASL failure texts
     * @param error makes a failure text the protocol's error reply (IMAP: tagged), line end included
     * @param backend the backend login for the credentials the exchange gave
     */
    record Auth(String mechanism, String initialResponse, Challenger challenger, Replies replies,
                UnaryOperator<String> error, Function<Credentials, BackendLogin> backend) {}

    /** Records how the session ended, for its log line. */
    void outcome(Outcome outcome);

    /**
     * Routing and backend connections without a login, for a session that talks to several
     * backends at once (LMTP: each recipient routed on its own). Closed with the session.
     */
    Backends backends();
}
