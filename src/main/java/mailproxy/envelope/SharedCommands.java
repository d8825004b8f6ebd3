package mailproxy.envelope;

import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * How one protocol of the SMTP family names the commands the family shares: the
 * constructors of its own records, for {@link SmtpFamilyParser#parse}.
 *
 * @param mail     "MAIL FROM:": the whole line as sent (replayed to a backend), the
 *                 reverse-path as sent ("&lt;&gt;" or "&lt;a@b&gt;" or a bare word), the RFC 1870
 *                 SIZE or -1
 * @param rcpt     "RCPT TO:": the whole line as sent, the forward-path as sent (never "&lt;&gt;")
 * @param invalid  a known verb with bad arguments, or a line that is no command: the whole reply line
 */
public record SharedCommands<C>(
        Mail<C> mail, BiFunction<String, String, C> rcpt,
        Supplier<C> data, Supplier<C> rset, Supplier<C> noop, Supplier<C> quit, Supplier<C> vrfy, Supplier<C> startTls,
        Function<String, C> invalid) {

    /** A MAIL FROM command of the protocol's. */
    public interface Mail<C> {
        C of(String line, String reversePath, long size);
    }
}
