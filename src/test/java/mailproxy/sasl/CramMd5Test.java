package mailproxy.sasl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 2195 CRAM-MD5 on the server side: the challenge, the response parsed into credentials. */
class CramMd5Test {

    @Test
    void challengeIsMsgIdShapedAndNeverRepeats() {
        String a = CramMd5.challenge("mail.example.test");
        String b = CramMd5.challenge("mail.example.test");
        assertTrue(a.matches("<[0-9]+\\.[0-9]+@mail\\.example\\.test>"), a);
        assertNotEquals(a, b);
    }

    @Test
    void rfc2195ExampleResponseBecomesCredentialsWithTheChallengeAsSalt() throws Exception {
        List<String> sent = new ArrayList<>();
        // RFC 2195 §2 example: user tim, digest b913a602c7eda7a495b4e6e7334d3890
        Credentials c = SaslServer.authenticate("CRAM-MD5", null, challenge -> {
            sent.add(new String(java.util.Base64.getDecoder().decode(challenge), java.nio.charset.StandardCharsets.ISO_8859_1));
            return SaslServer.encode("tim b913a602c7eda7a495b4e6e7334d3890");
        }, null, "postoffice.example.net");
        assertEquals(1, sent.size());
        assertTrue(sent.get(0).endsWith("@postoffice.example.net>"), sent.get(0));
        assertEquals("tim", c.user());
        assertEquals("b913a602c7eda7a495b4e6e7334d3890", c.secret());
        assertEquals("cram-md5", c.method());
        assertEquals(sent.get(0), c.salt());
    }

    @Test
    void userMayHoldSpacesTheDigestIsTheLastWord() throws Exception {
        Credentials c = SaslServer.authenticate("cram-md5", null,
                ch -> SaslServer.encode("tim smith 0123456789abcdef0123456789ABCDEF"), null, "h");
        assertEquals("tim smith", c.user());
    }

    /** How a CRAM-MD5 exchange with this initial response (null: none) and this answer to the challenge fails. */
    private static SaslException.Kind failure(String initialResponse, String response) {
        return assertThrows(SaslException.class, () -> SaslServer.authenticate("cram-md5", initialResponse,
                ch -> response, null, "h"), response).kind();
    }

    @Test
    void malformedResponses() {
        for (String bad : new String[] {"tim", "tim 1234", " b913a602c7eda7a495b4e6e7334d3890",
                "tim b913a602c7eda7a495b4e6e7334d389g"}) {
            assertEquals(SaslException.Kind.MALFORMED, failure(null, SaslServer.encode(bad)), bad);
        }
        assertEquals(SaslException.Kind.MALFORMED, failure(null, "!!!"), "not base64");
    }

    @Test
    void initialResponseIsRefusedAndStarCancels() {
        assertEquals(SaslException.Kind.MALFORMED, failure("dGlt", ""));
        assertEquals(SaslException.Kind.CANCELLED, failure(null, "*"));
    }

    @Test
    void digestShape() {
        assertTrue(CramMd5.isDigest("c4c9334bac560ecc979e58001b3e22fb"));
        assertFalse(CramMd5.isDigest("c4c9334bac560ecc979e58001b3e22f"));
        assertFalse(CramMd5.isDigest("c4c9334bac560ecc979e58001b3e22fz"));
    }
}
