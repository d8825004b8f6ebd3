package mailproxy.sasl;

import java.security.SecureRandom;
import java.time.Instant;

/**
 * CRAM-MD5 (RFC 2195) and the APOP timestamp (RFC 1939 §7): the proxy issues the
 * challenge, the client answers with a keyed MD5 digest of it. The proxy cannot check the
 * digest (it has no password): the auth server does, from the user, the digest and the
 * challenge (Auth-Pass and Auth-Salt), and gives back the password for the backend.
 */
public final class CramMd5 {
    private CramMd5() {}

    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * RFC 2195 §2: "the data encoded in the first ready response contains an
     * presumptively arbitrary string of random digits, a timestamp, and the fully-qualified
     * primary host name of the server", in msg-id form; RFC 1939 §7 asks the same of the
     * APOP banner timestamp. Each call gives a new one (a challenge must never repeat).
     */
    public static String challenge(String serverName) {
        long random = RANDOM.nextLong() & Long.MAX_VALUE;
        return "<" + random + "." + Instant.now().getEpochSecond() + "@" + serverName + ">";
    }

    /** The 16-byte MD5 digest as 32 hex digits (RFC 2195 §2, RFC 1939 §7). */
    public static boolean isDigest(String s) {
        if (s.length() != 32) return false;
        for (int i = 0; i < 32; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
        }
        return true;
    }

    /**
     * One CRAM-MD5 exchange. RFC 2195 §2: the response is "the user name, a space, and the
     * digest"; the digest is the last word, so a user name may itself hold spaces.
     */
    static Credentials authenticate(String initialResponse, Challenger ch, String serverName)
            throws SaslException, java.io.IOException {
        // server-first mechanism: an initial response has nothing to answer (RFC 4954 §4)
        if (initialResponse != null) throw new SaslException(SaslException.Kind.MALFORMED, "CRAM-MD5 takes no initial response");
        String challenge = challenge(serverName);
        String reply = SaslServer.decode(SaslServer.respond(ch, SaslServer.encode(challenge)));
        int sp = reply.lastIndexOf(' ');
        if (sp <= 0) throw new SaslException(SaslException.Kind.MALFORMED, "CRAM-MD5 response is not 'user digest'");
        String user = reply.substring(0, sp);
        String digest = reply.substring(sp + 1);
        if (!isDigest(digest)) throw new SaslException(SaslException.Kind.MALFORMED, "CRAM-MD5 digest is not 32 hex digits");
        return new Credentials(user, digest, "cram-md5", challenge);
    }
}
