package mailproxy.sasl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * OAuth 2.0 bearer tokens over SASL: OAUTHBEARER (RFC 7628) and Google's older XOAUTH2.
 * The proxy cannot check a token (it has no key and no introspection endpoint): it reads
 * the user and the token, routes on the user, and lets the router (auth_http gets the
 * token as Auth-Pass) or the backend (which logs in with the same mechanism) judge it.
 */
public final class OAuth {
    private OAuth() {}

    public static final String OAUTHBEARER = "oauthbearer";
    public static final String XOAUTH2 = "xoauth2";

    /**
     * RFC 7628 §3.2.2: the error is a JSON object with "status" (RFC 6749 §5.2 / RFC 6750
     * §3.1 error codes); "schemes" is what XOAUTH2 servers add. Sent base64 as a challenge.
     */
    static final String ERROR_JSON = "{\"status\":\"invalid_token\",\"schemes\":\"bearer\"}";

    /** True for the two token mechanisms (their Credentials.method()). */
    public static boolean isToken(String method) {
        return OAUTHBEARER.equals(method) || XOAUTH2.equals(method);
    }

    /** The base64 error challenge for a failed token login (RFC 7628 §3.2.2). */
    public static String errorChallenge() {
        return Base64.getEncoder().encodeToString(ERROR_JSON.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * RFC 7628 §3.2.3: after an error challenge "the client MUST then send either an
     * additional client response consisting of a single %x01 (control A) character ..." and
     * the server then fails the exchange. XOAUTH2 clients send an empty response. Whatever
     * the client answers ("*" too) ends here; the caller sends the final failure. A client
     * that went away, timed out or sent garbage is not this exchange's business (it runs
     * while a backend connection is open, and must not count against that backend): the
     * session's next read meets it.
     *
     * @param challenge base64 (the backend's own error challenge when it sent one, else {@link #errorChallenge()})
     */
    public static void failureChallenge(Challenger ch, String challenge) {
        try {
            ch.challenge(challenge);
        } catch (IOException e) {
            // the final failure reply follows anyway; the session sees the client's state next
        }
    }

    /**
     * RFC 7628 §3.1:
     * <pre>
     * client-resp  = (gs2-header kvsep *kvpair kvsep) / kvsep
     * gs2-header   = gs2-cb-flag "," [ gs2-authzid ] ","     (RFC 5801)
     * kvsep        = %x01
     * kvpair       = key "=" value kvsep
     * auth-value   = "Bearer" SP b64token                     (RFC 6750 §2.1)
     * </pre>
     * The user is the authzid ({@code a=}); the proxy needs it to route, so it is required.
     */
    static Credentials oauthbearer(String response) throws SaslException {
        String msg = SaslServer.decode(response);
        int comma1 = msg.indexOf(',');
        int comma2 = comma1 < 0 ? -1 : msg.indexOf(',', comma1 + 1);
        if (comma2 < 0) throw malformed("OAUTHBEARER message has no GS2 header");
        String flag = msg.substring(0, comma1);
        // "p=" asks for channel binding, which OAUTHBEARER does not define (RFC 7628 §3.1)
        if (!flag.equals("n") && !flag.equals("y")) throw malformed("OAUTHBEARER channel binding is not supported");
        String authzid = msg.substring(comma1 + 1, comma2);
        if (!authzid.startsWith("a=")) throw malformed("OAUTHBEARER without a user (a=)");
        String user = saslname(authzid.substring(2));
        String token = bearer(pairs(msg.substring(comma2 + 1)));
        if (user.isEmpty()) throw malformed("OAUTHBEARER with an empty user");
        return new Credentials(user, token, OAUTHBEARER, "");
    }

    /** XOAUTH2: "user=" user ^A "auth=Bearer " token ^A ^A (Google's SASL XOAUTH2 mechanism). */
    static Credentials xoauth2(String response) throws SaslException {
        String msg = SaslServer.decode(response);
        if (!msg.startsWith("user=")) throw malformed("XOAUTH2 message does not start with user=");
        int sep = msg.indexOf('\u0001');
        if (sep < 0) throw malformed("XOAUTH2 message without ^A");
        String user = msg.substring(5, sep);
        String token = bearer(pairs(msg.substring(sep)));
        if (user.isEmpty()) throw malformed("XOAUTH2 with an empty user");
        return new Credentials(user, token, XOAUTH2, "");
    }

    /** kvpair* kvsep: the value of "auth", exactly once; the message must end with ^A^A. */
    private static String pairs(String rest) throws SaslException {
        if (!rest.startsWith("\u0001") || !rest.endsWith("\u0001\u0001")) throw malformed("not ^A-separated key=value pairs");
        String auth = null;
        String body = rest.substring(1, rest.length() - 1); // pairs, each ended by ^A
        int start = 0;
        while (start < body.length()) {
            int end = body.indexOf('\u0001', start);
            if (end < 0) throw malformed("pair without ^A");
            String pair = body.substring(start, end);
            int eq = pair.indexOf('=');
            // key = 1*(ALPHA)
            if (eq <= 0 || !pair.substring(0, eq).chars().allMatch(c -> (c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
                throw malformed("pair is not key=value");
            }
            if (pair.substring(0, eq).equals("auth")) {
                if (auth != null) throw malformed("auth= twice");
                auth = pair.substring(eq + 1);
            }
            start = end + 1;
        }
        if (auth == null) throw malformed("no auth= pair");
        return auth;
    }

    /**
     * RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token, b64token = 1*( ALPHA / DIGIT /
     * "-" / "." / "_" / "~" / "+" / "/" ) *"=". The scheme is case-insensitive (RFC 7235
     * §2.1). Anything else is refused here, so no odd byte reaches a header or a backend.
     */
    private static String bearer(String auth) throws SaslException {
        if (auth.length() < 7 || !auth.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            throw malformed("auth is not a Bearer token");
        }
        String token = auth.substring(7).stripLeading();
        if (!b64token(token)) throw malformed("malformed bearer token");
        return token;
    }

    static boolean b64token(String t) {
        int i = 0;
        while (i < t.length()) {
            char c = t.charAt(i);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "-._~+/".indexOf(c) >= 0) i++;
            else break;
        }
        if (i == 0) return false;
        while (i < t.length() && t.charAt(i) == '=') i++;
        return i == t.length();
    }

    /** RFC 5801 §4: saslname, with "=2C" for "," and "=3D" for "="; any other "=" is an error. */
    static String saslname(String s) throws SaslException {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '=') {
                b.append(c);
            } else if (s.startsWith("=2C", i)) {
                b.append(',');
                i += 2;
            } else if (s.startsWith("=3D", i)) {
                b.append('=');
                i += 2;
            } else {
                throw malformed("bad escape in a=");
            }
        }
        return b.toString();
    }

    /** The OAUTHBEARER client message, for the proxy's own login to a backend (RFC 7628 §3.1). */
    public static String oauthbearerMessage(String user, String token) {
        return "n,a=" + user.replace("=", "=3D").replace(",", "=2C") + ",\u0001auth=Bearer " + token + "\u0001\u0001";
    }

    /** The XOAUTH2 client message, for the proxy's own login to a backend. */
    public static String xoauth2Message(String user, String token) {
        return "user=" + user + "\u0001auth=Bearer " + token + "\u0001\u0001";
    }

    /**
     * A user name the proxy can put into a backend's OAuth message: XOAUTH2 has no escape
     * for ^A, OAUTHBEARER none for NUL or ^A in saslname.
     */
    public static boolean usable(String user) {
        return user.indexOf('\u0001') < 0 && user.indexOf('\0') < 0;
    }

    /**
     * How the proxy logs in to a backend for a client who gave a token: with the client's
     * own mechanism when the backend offers it, else the other token mechanism; null for
     * the backend's password login, when the secret is not the client's token (the router
     * returned a password of its own) or the backend offers neither (Dovecot's oauth2
     * passdb also takes the token as a PLAIN password).
     *
     * @param offered the backend's SASL mechanisms, upper-case
     */
    public static String backendMechanism(Credentials client, String user, String secret, java.util.Set<String> offered) {
        if (client == null || !isToken(client.method()) || !client.secret().equals(secret) || !usable(user)) return null;
        String own = client.method().toUpperCase(Locale.ROOT);
        if (offered.contains(own)) return client.method();
        String other = client.method().equals(OAUTHBEARER) ? XOAUTH2 : OAUTHBEARER;
        return offered.contains(other.toUpperCase(Locale.ROOT)) ? other : null;
    }

    /** The client message of {@code mechanism} (a token mechanism) for the backend, base64. */
    public static String backendResponse(String mechanism, String user, String token) {
        String msg = mechanism.equals(OAUTHBEARER) ? oauthbearerMessage(user, token) : xoauth2Message(user, token);
        return SaslServer.encode(msg);
    }

    /**
     * The proxy's answer to a backend's error challenge (RFC 7628 §3.2.3): "AQ==" (a single
     * %x01) for OAUTHBEARER; XOAUTH2 takes an empty response.
     */
    public static String dummyResponse(String mechanism) {
        return mechanism.equals(OAUTHBEARER) ? "AQ==" : "";
    }

    private static SaslException malformed(String why) {
        return new SaslException(SaslException.Kind.MALFORMED, why);
    }
}
