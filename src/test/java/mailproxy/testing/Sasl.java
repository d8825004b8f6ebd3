package mailproxy.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Client-side SASL texts for transcripts: bytes are ISO-8859-1 chars, as on the wire. */
public final class Sasl {
    private Sasl() {}

    public static String b64(String wire) {
        return Base64.getEncoder().encodeToString(wire.getBytes(StandardCharsets.ISO_8859_1));
    }

    public static String unb64(String b64) {
        return new String(Base64.getDecoder().decode(b64.trim()), StandardCharsets.ISO_8859_1);
    }

    /** RFC 2195 §2: HMAC-MD5 keyed with the secret over the challenge, lower-case hex. */
    public static String cramDigest(String challenge, String secret) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacMD5");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.ISO_8859_1), "HmacMD5"));
        return HexFormat.of().formatHex(mac.doFinal(challenge.getBytes(StandardCharsets.ISO_8859_1)));
    }

    /** RFC 1939 §7: MD5(timestamp + secret), lower-case hex. */
    public static String apopDigest(String timestamp, String secret) throws GeneralSecurityException {
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        return HexFormat.of().formatHex(md5.digest((timestamp + secret).getBytes(StandardCharsets.ISO_8859_1)));
    }

    /**
     * The client's half of a CRAM-MD5 exchange (RFC 2195) once the command is sent: reads
     * the challenge line, which starts with {@code prompt} ("+ " in IMAP and POP3, "334 "
     * in SMTP), and answers "user digest"; the challenge.
     */
    public static String cramMd5(RawClient c, String prompt, String user, String secret)
            throws IOException, GeneralSecurityException {
        String challenge = unb64(c.expect(prompt).substring(prompt.length()));
        c.line(b64(user + " " + cramDigest(challenge, secret)));
        return challenge;
    }

    /**
     * SMTP AUTH LOGIN (RFC 4954 with the LOGIN mechanism's "Username:" and "Password:"
     * prompts) as transcript steps, up to the success reply.
     */
    public static String smtpAuthLogin(String userB64, String passwordB64) {
        return """
                C: AUTH LOGIN
                S: 334 VXNlcm5hbWU6
                C: %s
                S: 334 UGFzc3dvcmQ6
                C: %s
                S: 235 2.7.0 Authentication successful
                """.formatted(userB64, passwordB64);
    }

    /** The PLAIN response (RFC 4616) with an empty authorization identity, base64. */
    public static String plain(String user, String password) {
        return b64("\0" + user + "\0" + password);
    }
}
