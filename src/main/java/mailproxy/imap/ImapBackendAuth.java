package mailproxy.imap;

import java.io.IOException;
import java.util.Locale;
import java.util.Set;
import mailproxy.sasl.OAuth;
import mailproxy.sasl.SaslServer;
import mailproxy.session.BackendLogin.Result;
import mailproxy.wire.Connection;
import mailproxy.wire.LogSafe;

/**
 * The ways the proxy logs in to an IMAP backend once the capabilities are known: LOGIN
 * with literals (any byte is safe in a literal), AUTHENTICATE PLAIN, or the client's token
 * mechanism. The backend's completion reaches the client under the client's own tag, with
 * the untagged lines that came with it (a CAPABILITY, an ALERT).
 */
final class ImapBackendAuth {
    /** RFC 7888 §4: LITERAL- allows non-synchronizing literals up to 4096 octets. */
    private static final int LITERAL_MINUS_MAX = 4096;

    private final Connection b;
    private final ImapBackendDialogue r;
    private final Set<String> caps;
    /** The tag of the client command this login answers. */
    private final String clientTag;
    /** The backend's error challenge to a token login (base64), passed on to the client. */
    private String errorChallenge;

    ImapBackendAuth(Connection b, ImapBackendDialogue r, Set<String> caps, String clientTag) {
        this.b = b;
        this.r = r;
        this.caps = caps;
        this.clientTag = clientTag;
    }

    String errorChallenge() { return errorChallenge; }

    /**
     * A token login (OAUTHBEARER, XOAUTH2) via AUTHENTICATE with SASL-IR when announced. A
     * refused token comes back as a "+ " error challenge (RFC 7628 §3.2.2): the proxy
     * answers it for the client and keeps it to show the client.
     */
    Result token(String mechanism, String response) throws IOException {
        String tag = r.nextTag();
        StringBuilder untagged = new StringBuilder();
        String name = mechanism.toUpperCase(Locale.ROOT);
        if (caps.contains("SASL-IR")) {
            b.writeLine(tag + " AUTHENTICATE " + name + " " + response);
        } else {
            b.writeLine(tag + " AUTHENTICATE " + name);
            String reply = r.until(tag, untagged);
            if (reply == null || !reply.startsWith("+")) return finish(tag, reply, untagged);
            b.writeLine(response);
        }
        String reply = r.until(tag, untagged);
        if (reply != null && reply.startsWith("+")) {
            errorChallenge = reply.length() > 2 ? reply.substring(2).trim() : "";
            b.writeLine(OAuth.dummyResponse(mechanism));
            reply = r.until(tag, untagged);
        }
        return finish(tag, reply, untagged);
    }

    /**
     * login = "LOGIN" SP userid SP password, both as literals. Synchronizing literals wait
     * for the backend's "+" each; with LITERAL+ (RFC 7888) the command goes in one write.
     */
    Result loginWithLiterals(String user, String pass) throws IOException {
        String tag = r.nextTag();
        StringBuilder untagged = new StringBuilder();
        boolean nonSync = caps.contains("LITERAL+")
                || (caps.contains("LITERAL-") && Math.max(user.length(), pass.length()) <= LITERAL_MINUS_MAX);
        if (nonSync) {
            b.write(ImapReplies.lines(tag + " LOGIN {" + user.length() + "+}", user + " {" + pass.length() + "+}", pass));
        } else {
            b.writeLine(tag + " LOGIN {" + user.length() + "}");
            String reply = r.until(tag, untagged);
            if (reply == null || !reply.startsWith("+")) return finish(tag, reply, untagged);
            b.writeLine(user + " {" + pass.length() + "}");
            reply = r.until(tag, untagged);
            if (reply == null || !reply.startsWith("+")) return finish(tag, reply, untagged);
            b.writeLine(pass);
        }
        return finish(tag, r.until(tag, untagged), untagged);
    }

    /** RFC 4616 via AUTHENTICATE (RFC 9051 §6.2.2), with SASL-IR when announced (RFC 4959). */
    Result authenticatePlain(String user, String pass) throws IOException {
        String tag = r.nextTag();
        StringBuilder untagged = new StringBuilder();
        String response = SaslServer.encode("\0" + user + "\0" + pass);
        if (caps.contains("SASL-IR")) {
            b.writeLine(tag + " AUTHENTICATE PLAIN " + response);
        } else {
            b.writeLine(tag + " AUTHENTICATE PLAIN");
            String reply = r.until(tag, untagged);
            if (reply == null || !reply.startsWith("+")) return finish(tag, reply, untagged);
            b.writeLine(response);
        }
        return finish(tag, r.until(tag, untagged), untagged);
    }

    /** The backend's completion of the login, given to the client under the client's tag. */
    private Result finish(String tag, String reply, StringBuilder untagged) {
        if (reply == null) return new Result.Broken("closed during login");
        if (reply.startsWith("+")) return new Result.Broken("unexpected continuation: " + LogSafe.backendLine(reply));
        String status = ImapBackendDialogue.status(tag, reply);
        String toClient = untagged + ImapReplies.tagged(clientTag, status);
        if (status.startsWith("OK")) return new Result.Accepted(toClient);
        // NO is a refused login (RFC 5530 AUTHENTICATIONFAILED and friends); BAD is the
        // backend refusing the values: either way the client may try again
        if (status.startsWith("NO") || status.startsWith("BAD")) return new Result.Refused(toClient);
        return new Result.Broken("login reply: " + LogSafe.backendLine(reply));
    }
}
