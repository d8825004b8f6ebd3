/**
 * TLS for mailproxy: certificate and key loading, the server side of listeners (implicit
 * TLS and STARTTLS/STLS), the client side towards backends, and the session facts that
 * routing, auth_http and the log line need. The JDK's TLS (JSSE) towards backends; for the
 * listeners, BoringSSL through netty's {@code SSLEngine} where it loads, else the JDK
 * ({@link mailproxy.tls.TlsProvider}, {@code OpenSslServer}, {@code EngineSocket}), with
 * session resumption by cache and tickets ({@link mailproxy.tls.SessionResumption}). It
 * imports nothing of ours, only netty-handler's ssl package and netty-tcnative's
 * (docs/ARCHITECTURE.md, "Packages").
 *
 * <h2>Public API</h2>
 * <ul>
 *   <li>{@link mailproxy.tls.CertificateSource}: {@code Pem(chainFile, keyFile)} or
 *       {@code Pkcs12(file, password)}.</li>
 *   <li>{@link mailproxy.tls.ServerTlsSettings} → {@link mailproxy.tls.TlsServer#create};
 *       {@link mailproxy.tls.TlsServer#handshake(java.net.Socket, java.time.Duration)} and
 *       {@link mailproxy.tls.TlsServer#facts(javax.net.ssl.SSLSocket)}.</li>
 *   <li>{@link mailproxy.tls.BackendTlsSettings} → {@link mailproxy.tls.TlsClient#create};
 *       {@link mailproxy.tls.TlsClient#handshake(java.net.Socket, java.time.Duration)}.</li>
 *   <li>{@link mailproxy.tls.TlsFacts}: protocol, cipher, client certificate verify result
 *       and fields in nginx's formats, and {@code identity()} for SASL EXTERNAL.</li>
 *   <li>{@link mailproxy.tls.TlsConfigException} (startup: the message names the file) and
 *       {@link mailproxy.tls.TlsHandshakeException} (an {@code IOException} with a one-line
 *       message, for one connection).</li>
 * </ul>
 *
 * <h2>Use</h2>
 * <pre>{@code
 * // startup
 * TlsServer tls = TlsServer.create(ServerTlsSettings.of(
 *         new CertificateSource.Pem(Path.of("imap.crt"), Path.of("imap.key"))));
 * TlsClient backendTls = TlsClient.create(BackendTlsSettings.verified("mail.internal"));
 *
 * // implicit TLS listener, per connection
 * SSLSocket s = tls.handshake(accepted, Duration.ofSeconds(30));
 * TlsFacts facts = tls.facts(s);
 *
 * // STARTTLS: reply "OK Begin TLS" (flushed), discard the plaintext reader and what it
 * // buffered (RFC 3207 §4.2), then upgrade the same plain socket and read from the new one
 * SSLSocket s = tls.handshake(plainSocket, Duration.ofSeconds(30));
 * }</pre>
 *
 * <h2>Rules this package keeps</h2>
 * <ul>
 *   <li>TLS 1.2 and 1.3 only (RFC 8996, RFC 8314 §4.1); other versions are a config error.</li>
 *   <li>Keys: PEM PKCS#8 (RSA, RSASSA-PSS, EC, Ed25519, Ed448), PKCS#1 RSA, SEC1 EC, or a
 *       PKCS#12 store. Encrypted PEM keys are refused with a message saying so. A key that
 *       does not match its certificate is a startup error.</li>
 *   <li>A renegotiation the client starts (TLS 1.2) is refused with a fatal alert: it costs a
 *       private-key operation each time ({@link mailproxy.tls.TlsServer#refuseClientRenegotiation}).</li>
 *   <li>Server certificates are chosen by SNI; the first configured one is the default.</li>
 *   <li>Handshakes have a deadline and a per-read timeout; a failure closes the socket and
 *       throws a short {@code TlsHandshakeException}, e.g. for a plaintext client on a TLS
 *       port.</li>
 *   <li>Backend verification uses the HTTPS host name rules; turning it off is a separate,
 *       explicit setting.</li>
 * </ul>
 * Not done here: certificate revocation (CRL/OCSP), reloading certificates without a
 * restart, and encrypted key files.
 */
package mailproxy.tls;
