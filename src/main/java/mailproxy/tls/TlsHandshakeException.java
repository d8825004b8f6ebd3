package mailproxy.tls;

import java.io.IOException;

/**
 * A TLS handshake that did not complete: timeout, a plaintext client on a TLS port, no
 * common protocol or cipher, a refused or missing certificate, the peer hanging up. The
 * message is one short line meant for a log line as it is (for example
 * {@code TLS handshake with 192.0.2.7:51234 failed: not TLS (plaintext on a TLS port?)});
 * the JDK's exception stays available as the cause for debugging. By the time this is
 * thrown the socket has been closed.
 */
public final class TlsHandshakeException extends IOException {
    TlsHandshakeException(String message, Throwable cause) {
        super(message, cause);
    }
}
