package mailproxy.sasl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 7628 OAUTHBEARER and XOAUTH2 messages, as the proxy reads and writes them. */
class OAuthTest {
    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    static Credentials run(String mechanism, String initial) throws Exception {
        return SaslServer.authenticate(mechanism, initial, c -> { throw new AssertionError("no challenge expected"); }, null, "x");
    }

    @Test
    void oauthbearerPerRfc7628() throws Exception {
        // RFC 7628 §4.1's example, the user from a=, the token from auth=Bearer
        Credentials c = run("OAUTHBEARER", b64("n,a=user@example.com,\u0001host=server.example.com\u0001port=143\u0001"
                + "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\u0001\u0001"));
        assertEquals(new Credentials("user@example.com", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", "oauthbearer", ""), c);
        // saslname escapes (RFC 5801 §4), the scheme in any case, other tokens chars
        c = run("oauthbearer", b64("y,a=a=2Cb=3Dc,\u0001auth=bearer a-b.c_d~e+f/g==\u0001\u0001"));
        assertEquals("a,b=c", c.user());
        assertEquals("a-b.c_d~e+f/g==", c.secret());
    }

    @Test
    void xoauth2() throws Exception {
        Credentials c = run("XOAUTH2", b64("user=someuser@example.com\u0001auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg\u0001\u0001"));
        assertEquals(new Credentials("someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg", "xoauth2", ""), c);
    }

    @Test
    void withoutAnInitialResponseAnEmptyChallengeAsksForIt() throws Exception {
        List<String> challenges = new ArrayList<>();
        Credentials c = SaslServer.authenticate("oauthbearer", null, ch -> {
            challenges.add(ch);
            return b64("n,a=bob,\u0001auth=Bearer t0k3n\u0001\u0001");
        }, null, "x");
        assertEquals(List.of(""), challenges);
        assertEquals("t0k3n", c.secret());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "n,,\u0001auth=Bearer t\u0001\u0001",              // no user: nothing to route on
            "p=tls-unique,a=bob,\u0001auth=Bearer t\u0001\u0001", // channel binding
            "n,a=bob,\u0001auth=Basic dXNlcg==\u0001\u0001",    // not a bearer token
            "n,a=bob,\u0001auth=Bearer t\r\nX: y\u0001\u0001",   // CR LF in the token
            "n,a=bob,\u0001auth=Bearer t t\u0001\u0001",         // a space in the token
            "n,a=bob,\u0001auth=Bearer t\u0001",                 // no final ^A
            "n,a=bob,\u0001host=x\u0001\u0001",                  // no auth=
            "n,a=b=2Xob,\u0001auth=Bearer t\u0001\u0001",        // bad saslname escape
            "n,a=bob,\u0001auth=Bearer t\u0001auth=Bearer u\u0001\u0001",
            "garbage"})
    void malformedOauthbearerIsRefused(String message) {
        SaslException e = assertThrows(SaslException.class, () -> run("oauthbearer", b64(message)));
        assertEquals(SaslException.Kind.MALFORMED, e.kind());
    }

    @ParameterizedTest
    @ValueSource(strings = {"auth=Bearer t\u0001\u0001", "user=\u0001auth=Bearer t\u0001\u0001", "user=bob\u0001auth=Bearer \u0001\u0001"})
    void malformedXoauth2IsRefused(String message) {
        SaslException e = assertThrows(SaslException.class, () -> run("xoauth2", b64(message)));
        assertEquals(SaslException.Kind.MALFORMED, e.kind());
    }

    @Test
    void theBackendGetsTheClientsMechanismWhenItHasIt() {
        Credentials bearer = new Credentials("bob", "tok", "oauthbearer", "");
        assertEquals("oauthbearer", OAuth.backendMechanism(bearer, "bob", "tok", Set.of("PLAIN", "OAUTHBEARER", "XOAUTH2")));
        assertEquals("xoauth2", OAuth.backendMechanism(bearer, "bob", "tok", Set.of("PLAIN", "XOAUTH2")));
        assertNull(OAuth.backendMechanism(bearer, "bob", "tok", Set.of("PLAIN")), "the token as a PLAIN password");
        assertNull(OAuth.backendMechanism(bearer, "bob", "master-password", Set.of("OAUTHBEARER")),
                "a password from the router is a password");
        assertNull(OAuth.backendMechanism(Credentials.plain("bob", "tok"), "bob", "tok", Set.of("OAUTHBEARER")));
        assertEquals("n,a=a=2Cb=3D,\u0001auth=Bearer tok\u0001\u0001",
                new String(Base64.getDecoder().decode(OAuth.backendResponse("oauthbearer", "a,b=", "tok")), StandardCharsets.ISO_8859_1));
        assertEquals("user=bob\u0001auth=Bearer tok\u0001\u0001",
                new String(Base64.getDecoder().decode(OAuth.backendResponse("xoauth2", "bob", "tok")), StandardCharsets.ISO_8859_1));
    }

    @Test
    void theErrorChallengeIsRfc7628Json() {
        assertEquals("{\"status\":\"invalid_token\",\"schemes\":\"bearer\"}",
                new String(Base64.getDecoder().decode(OAuth.errorChallenge()), StandardCharsets.US_ASCII));
    }
}
