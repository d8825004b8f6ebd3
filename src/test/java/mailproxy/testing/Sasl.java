package mailproxy.testing;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Client-side SASL texts for transcripts: bytes are ISO-8859-1 chars, as on the wire. */
public final class Sasl {
    private Sasl() {}

    public static String b64(String wire) {
        return Base64.getEncoder().encodeToString(wire.getBytes(StandardCharsets.ISO_8859_1));
    }

    public static String unb64(String b64) {
        return new String(Base64.getDecoder().decode(b64.trim()), StandardCharsets.ISO_8859_1);
    }

    /** The PLAIN response (RFC 4616) with an empty authorization identity, base64. */
    public static String plain(String user, String password) {
        return b64("\0" + user + "\0" + password);
    }
}
