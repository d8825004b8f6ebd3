package mailproxy.envelope;

import java.util.List;

/**
 * The reply writer SMTP and LMTP share (go-smtp's writeResponse is the model): the one place
 * their reply lines are formatted and get their CRLF (RFC 5321 §4.2). Each protocol keeps
 * its own texts (smtp.SmtpReply, lmtp.LmtpReplies) and calls these directly, statically
 * imported: no protocol keeps a forward of its own.
 */
public final class SmtpFamilyReplies {
    private SmtpFamilyReplies() {}

    /** RFC 5321 §2.3.8: the line end, CR LF (the same as session.Replies.CRLF, which this package may not import). */
    private static final String CRLF = "\r\n";

    /**
     * One reply: Reply-code SP enhanced status code (RFC 3463 §2) SP text; without CRLF
     * ({@link #line} adds it).
     */
    public static String reply(int code, String enhanced, String text) {
        return code + " " + enhanced + " " + text;
    }

    /** RFC 5321 §4.2: Reply-code [ SP textstring ] CRLF. */
    public static String line(String reply) {
        return reply + CRLF;
    }

    /** RFC 5321 §4.2.1: a multiline reply, "code-text" on every line but the last, which has "code SP text". */
    public static String multiLine(int code, List<String> texts) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < texts.size(); i++) {
            b.append(code).append(i == texts.size() - 1 ? ' ' : '-').append(texts.get(i)).append(CRLF);
        }
        return b.toString();
    }
}
