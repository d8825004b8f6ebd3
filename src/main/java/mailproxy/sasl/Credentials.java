package mailproxy.sasl;

/**
 * What a client proved or claimed, as wire bytes (ISO-8859-1 chars).
 *
 * @param method auth_http's Auth-Method for it: plain, cram-md5, apop, external,
 *               oauthbearer, xoauth2
 * @param secret the password, the client's digest for cram-md5/apop, or the bearer token
 * @param salt   the challenge the proxy issued for cram-md5/apop, else empty
 */
public record Credentials(String user, String secret, String method, String salt) {
    public static Credentials plain(String user, String password) {
        return new Credentials(user, password, "plain", "");
    }

    @Override
    public String toString() {
        return "Credentials[" + method + " user=" + user + "]"; // never the secret
    }
}
