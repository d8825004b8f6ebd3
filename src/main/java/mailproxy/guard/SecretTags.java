package mailproxy.guard;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A short tag of a wrong password, to recognise the same one tried again: HMAC-SHA-256
 * under a random key that lives only in this process, over network, user and password,
 * cut to 64 bits. Without the key a tag says nothing about the password, and the key is
 * never written anywhere, so the tags kept in Redis are useless to whoever reads them.
 * (The price: a repeat that reaches another proxy counts once more there.)
 */
final class SecretTags {
    private final SecretKeySpec key;

    SecretTags() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        this.key = new SecretKeySpec(k, "HmacSHA256");
    }

    String tag(String network, String user, String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(network.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            mac.update(user.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            byte[] full = mac.doFinal(secret.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(full, 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
