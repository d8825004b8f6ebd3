package mailproxy.sasl;

/** A SASL exchange that did not yield credentials; {@link #kind} picks the protocol's reply. */
public final class SaslException extends Exception {
    public enum Kind {
        /** The client sent "*" (RFC 4954 §4, RFC 5034 §4, RFC 9051 §6.2.2). */
        CANCELLED,
        /** Not base64, or not the mechanism's message format. */
        MALFORMED,
        /** A mechanism the listener does not offer. */
        UNSUPPORTED,
        /**
         * The exchange was well formed but proves nothing: EXTERNAL without a verified
         * client certificate, or asking for another identity than the certificate's. An
         * authentication failure (RFC 4422 §5), not a syntax error.
         */
        REFUSED
    }

    private final Kind kind;

    public SaslException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() { return kind; }
}
