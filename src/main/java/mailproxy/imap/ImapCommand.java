package mailproxy.imap;

import java.util.List;

/**
 * The IMAP commands the proxy answers itself in the not-authenticated state
 * (RFC 9051 §6.1, §6.2; ID RFC 2971). Every command carries the client's tag, under which
 * its completion result is sent.
 *
 * <pre>
 * command         = tag SP (command-any / command-auth / command-nonauth /
 *                   command-select) CRLF
 * command-any     = "CAPABILITY" / "LOGOUT" / "NOOP" / x-command
 * command-nonauth = login / authenticate / "STARTTLS"
 * </pre>
 */
sealed interface ImapCommand {
    String tag();

    record Capability(String tag) implements ImapCommand {}

    record Noop(String tag) implements ImapCommand {}

    record Logout(String tag) implements ImapCommand {}

    record StartTls(String tag) implements ImapCommand {}

    /** login = "LOGIN" SP userid SP password. Values are wire bytes as ISO-8859-1 chars. */
    record Login(String tag, String user, String password) implements ImapCommand {
        @Override
        public String toString() { return "Login[" + tag + " " + user + " ****]"; }
    }

    /**
     * authenticate = "AUTHENTICATE" SP auth-type [SP (base64 / "=")] (RFC 9051, SASL-IR
     * RFC 4959 §3); {@code initialResponse} is null when absent.
     */
    record Authenticate(String tag, String mechanism, String initialResponse) implements ImapCommand {
        @Override
        public String toString() { return "Authenticate[" + tag + " " + mechanism + "]"; }
    }

    /** RFC 2971 §3.1: id = "ID" SP id_params_list; {@code params} is empty for NIL. */
    record Id(String tag, List<String> params) implements ImapCommand {}

    /** A command of the authenticated or selected state, sent before login. */
    record NotYet(String tag, String keyword) implements ImapCommand {}

    record Unknown(String tag, String keyword) implements ImapCommand {}

    /**
     * A command that does not parse. {@code tag} is "*" when not even the tag was readable
     * (RFC 9051 §7.1.3: an untagged BAD when the tag cannot be found). With {@code close}
     * the connection cannot be kept in step (an oversized non-synchronizing literal whose
     * bytes are already on their way) and ends after the reply.
     */
    record Invalid(String tag, String reason, boolean close) implements ImapCommand {}
}
