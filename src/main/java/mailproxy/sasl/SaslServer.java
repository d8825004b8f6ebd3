package mailproxy.sasl;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * The server side of the SASL mechanisms the proxy terminates itself, shared by IMAP
 * AUTHENTICATE, POP3 AUTH, SMTP AUTH and ManageSieve AUTHENTICATE. Only the challenge framing differs per protocol,
 * and that is the {@link Challenger}'s business.
 */
public final class SaslServer {
    private SaslServer() {}

    /** "VXNlcm5hbWU6" and "UGFzc3dvcmQ6": base64 of "Username:" and "Password:", as every LOGIN server sends. */
    static final String LOGIN_USER = "VXNlcm5hbWU6";
    static final String LOGIN_PASS = "UGFzc3dvcmQ6";
    /**
     * Runs one exchange.
     *
     * @param initialResponse     the client's initial response (RFC 4959 SASL-IR, RFC 4954
     *                            AUTH argument), "=" for an empty one, or null when absent
     * @param certificateIdentity the verified TLS client certificate's identity (EXTERNAL), or null
     * @param serverName          host part of a CRAM-MD5 challenge
     */
    public static Credentials authenticate(String mechanism, String initialResponse, Challenger ch,
                                           String certificateIdentity, String serverName)
            throws SaslException, IOException {
        return switch (mechanism.toLowerCase(Locale.ROOT)) {
            case "plain" -> plain(initialResponse != null ? initialResponse : respond(ch, ""));
            case "login" -> login(initialResponse, ch);
            case "cram-md5" -> CramMd5.authenticate(initialResponse, ch, serverName);
            case "external" -> external(initialResponse != null ? initialResponse : respond(ch, ""), certificateIdentity);
            // client-first: without an initial response, an empty challenge asks for it (RFC 4422 §5)
            case OAuth.OAUTHBEARER -> OAuth.oauthbearer(initialResponse != null ? initialResponse : respond(ch, ""));
            case OAuth.XOAUTH2 -> OAuth.xoauth2(initialResponse != null ? initialResponse : respond(ch, ""));
            default -> throw new SaslException(SaslException.Kind.UNSUPPORTED, "unsupported mechanism");
        };
    }

    /**
     * RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd.
     * The authorization identity is accepted only when empty or equal to the user: the
     * proxy cannot grant one user the right to act as another.
     */
    static Credentials plain(String response) throws SaslException {
        String msg = decode(response);
        int first = msg.indexOf('\0');
        int second = first < 0 ? -1 : msg.indexOf('\0', first + 1);
        if (first < 0 || second < 0 || msg.indexOf('\0', second + 1) >= 0) {
            throw new SaslException(SaslException.Kind.MALFORMED, "PLAIN message is not authzid NUL user NUL password");
        }
        String authzid = msg.substring(0, first);
        String user = msg.substring(first + 1, second);
        String pass = msg.substring(second + 1);
        if (user.isEmpty()) throw new SaslException(SaslException.Kind.MALFORMED, "empty user");
        if (!authzid.isEmpty() && !authzid.equals(user)) {
            throw new SaslException(SaslException.Kind.MALFORMED, "authorization identity differs from user");
        }
        return Credentials.plain(user, pass);
    }

    /**
     * RFC 4422 Appendix A: the client's message is an authorization identity, empty meaning
     * "the one my credentials (here: the verified certificate) establish". Another identity
     * than the certificate's is refused: the proxy cannot grant such rights.
     */
    static Credentials external(String response, String certificateIdentity) throws SaslException {
        if (certificateIdentity == null || certificateIdentity.isEmpty()) {
            throw new SaslException(SaslException.Kind.REFUSED, "EXTERNAL without a verified client certificate");
        }
        String authzid = decode(response);
        if (!authzid.isEmpty() && !authzid.equals(certificateIdentity)) {
            throw new SaslException(SaslException.Kind.REFUSED, "EXTERNAL identity differs from the certificate's");
        }
        return new Credentials(certificateIdentity, "", "external", "");
    }

    /** draft-murchison-sasl-login: "Username:" then "Password:", each answered in base64. */
    private static Credentials login(String initialResponse, Challenger ch) throws SaslException, IOException {
        String user = decode(initialResponse != null ? initialResponse : respond(ch, LOGIN_USER));
        String pass = decode(respond(ch, LOGIN_PASS));
        if (user.isEmpty()) throw new SaslException(SaslException.Kind.MALFORMED, "empty user");
        return Credentials.plain(user, pass);
    }

    /** Sends a challenge, returns the response; "*" cancels (RFC 4954 §4). */
    public static String respond(Challenger ch, String challenge) throws SaslException, IOException {
        String line = ch.challenge(challenge);
        if (line == null) throw new EOFException("client hung up during AUTH");
        if (line.equals("*")) throw new SaslException(SaslException.Kind.CANCELLED, "cancelled by client");
        return line;
    }

    /** Base64 to wire bytes; "=" is the empty response (RFC 4954 §4, RFC 4959 §3). */
    public static String decode(String b64) throws SaslException {
        String s = b64.trim();
        if (s.equals("=")) return "";
        try {
            return new String(Base64.getDecoder().decode(s), StandardCharsets.ISO_8859_1);
        } catch (IllegalArgumentException e) {
            throw new SaslException(SaslException.Kind.MALFORMED, "not base64");
        }
    }

    /** Wire bytes to base64. */
    public static String encode(String wire) {
        return Base64.getEncoder().encodeToString(wire.getBytes(StandardCharsets.ISO_8859_1));
    }
}
