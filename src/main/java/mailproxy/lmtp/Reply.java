package mailproxy.lmtp;

import java.io.IOException;
import mailproxy.envelope.SmtpFamilyReplies;
import mailproxy.wire.Connection;
import mailproxy.wire.LogSafe;

/**
 * One reply of a backend, all its lines, exactly as sent (RFC 5321 §4.2: "Reply-code [ SP
 * textstring ] CRLF", continuation lines with "-" after the code). {@code text} is what the
 * client gets, CRLF included.
 */
record Reply(int code, String text) {
    /** Replies with more lines than this are garbage, not a server talking. */
    private static final int MAX_LINES = 100;

    static Reply read(Connection b, int maxLine) throws IOException {
        StringBuilder text = new StringBuilder();
        for (int n = 0; n < MAX_LINES; n++) {
            String line = b.readLine(maxLine);
            if (line == null) throw new IOException("backend closed the connection");
            if (line.length() < 3 || !code(line) || (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-')) {
                throw new IOException("backend sent a malformed reply: " + LogSafe.text(line));
            }
            text.append(SmtpFamilyReplies.line(line));
            if (line.length() == 3 || line.charAt(3) == ' ') return new Reply(Integer.parseInt(line.substring(0, 3)), text.toString());
        }
        throw new IOException("backend reply longer than " + MAX_LINES + " lines");
    }

    static Reply send(Connection b, String command, int maxLine) throws IOException {
        b.writeLine(command);
        return read(b, maxLine);
    }

    /** A reply of the proxy's own, one line. */
    static Reply of(String line) {
        return new Reply(Integer.parseInt(line.substring(0, 3)), SmtpFamilyReplies.line(line));
    }

    boolean positive() { return code / 100 == 2; }

    private static boolean code(String line) {
        return line.charAt(0) >= '2' && line.charAt(0) <= '5' && Character.isDigit(line.charAt(1)) && Character.isDigit(line.charAt(2));
    }

    /** The last line, safe for a log. */
    @Override
    public String toString() {
        String t = text.strip();
        int nl = t.lastIndexOf('\n');
        return LogSafe.text(nl < 0 ? t : t.substring(nl + 1));
    }
}
