package mailproxy.config;

import mailproxy.tls.TlsServer;

/**
 * A listener's TLS: implicit (the handshake comes first: imaps 993, pop3s 995, smtps 465)
 * or offered with STARTTLS/STLS, and the server context with its certificates, loaded and
 * checked at startup.
 */
public record ListenerTls(boolean implicit, StartTls starttls, TlsServer server) {

    /** STARTTLS (IMAP, SMTP) / STLS (POP3) on a plaintext listener. */
    public enum StartTls {
        OFF,
        /** Offered; login without it is allowed. */
        ON,
        /** Required before any login (RFC 8314 §4.2 "must use TLS"; nginx's starttls only). */
        ONLY
    }

    public static final ListenerTls NONE = new ListenerTls(false, StartTls.OFF, null);

    /** The listener can upgrade a connection with STARTTLS / STLS. */
    public boolean offersStartTls() { return !implicit && starttls != StartTls.OFF; }
}
