package mailproxy.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Seeded inputs for a pre-login parser: random bytes, valid commands mutated (bytes flipped,
 * inserted, cut, spliced), and hand-picked nasty cases (literal counts huge, negative or
 * unclosed, unterminated quotes, NULs, CR without LF, lines around the length limit, SASL
 * with bad base64, STARTTLS followed by junk). One {@link Random} in, one input out, so a
 * failing seed reproduces its input.
 */
public final class FuzzInputs {
    private FuzzInputs() {}

    /**
     * The base seed of a fuzz run: fixed, so a run is reproducible; {@code
     * -Dmailproxy.fuzz.seed=N} runs another one, {@code random} picks one.
     */
    public static long seed() {
        String s = System.getProperty("mailproxy.fuzz.seed", "20240613");
        return s.equals("random") ? System.nanoTime() : Long.parseLong(s);
    }

    /** The seed of input {@code i} of a run: one Random per input, so each failure reproduces alone. */
    public static long seed(long base, int i) {
        return base * 1_000_003L + i;
    }

    /** Bytes that mean something to a line or literal parser. */
    private static final byte[] SPECIAL = "\0\r\n{}\"\\ +*()[]=%:<>@".getBytes(StandardCharsets.ISO_8859_1);

    /** Commands that parse, per protocol (CRLF between lines). */
    public static final List<String> IMAP = List.of(
            "a CAPABILITY", "a NOOP", "a LOGOUT", "a LOGIN bob secret", "a LOGIN \"bob\" \"se cr\\\"et\"",
            "a LOGIN {3}\r\nbob {6}\r\nsecret", "a LOGIN {3+}\r\nbob {6+}\r\nsecret", "a LOGIN \"\" \"\"",
            "a AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=", "a AUTHENTICATE PLAIN\r\nAGJvYgBzZWNyZXQ=",
            "a AUTHENTICATE LOGIN\r\nYm9i\r\nc2VjcmV0", "a AUTHENTICATE PLAIN =", "a AUTHENTICATE CRAM-MD5",
            "a ID (\"name\" \"fuzz\" \"version\" NIL)", "a ID NIL", "a STARTTLS", "a SELECT INBOX",
            "a APPEND INBOX {5+}\r\nhello", "a UID FETCH 1:* (FLAGS)", "* OK", "+ x", "a ENABLE UTF8=ACCEPT");
    public static final List<String> POP3 = List.of(
            "CAPA", "NOOP", "QUIT", "USER bob", "USER bob\r\nPASS secret", "PASS secret", "USER bob\r\nPASS s e c r e t",
            "AUTH", "AUTH PLAIN AGJvYgBzZWNyZXQ=", "AUTH PLAIN\r\nAGJvYgBzZWNyZXQ=", "AUTH LOGIN\r\nYm9i\r\nc2VjcmV0",
            "AUTH PLAIN =", "AUTH CRAM-MD5", "APOP bob 0123456789abcdef0123456789abcdef", "STLS", "STAT", "RETR 1",
            "TOP 1 10", "UIDL");
    public static final List<String> SMTP = List.of(
            "EHLO fuzz.example", "HELO fuzz", "NOOP", "RSET", "QUIT", "VRFY bob", "STARTTLS",
            "EHLO x\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=", "EHLO x\r\nAUTH PLAIN\r\nAGJvYgBzZWNyZXQ=",
            "EHLO x\r\nAUTH LOGIN\r\nYm9i\r\nc2VjcmV0", "EHLO x\r\nAUTH LOGIN Ym9i\r\nc2VjcmV0",
            "EHLO x\r\nMAIL FROM:<a@b> SIZE=100", "EHLO x\r\nRCPT TO:<a@b>", "DATA", "BDAT 10 LAST",
            "XCLIENT ADDR=1.2.3.4", "EHLO x\r\nAUTH", "MAIL FROM:<>");

    /** LMTP (RFC 2033): whole transactions too, so DATA and the message reader get their share. */
    public static final List<String> LMTP = List.of(
            "LHLO fuzz.example", "NOOP", "RSET", "QUIT", "VRFY bob", "STARTTLS", "HELO x", "BDAT 10 LAST",
            "LHLO x\r\nMAIL FROM:<a@b> SIZE=100 BODY=8BITMIME", "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<u@one.test>",
            "LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<u@one.test>\r\nRCPT TO:<v@two.test>\r\nDATA\r\nSubject: s\r\n\r\nbody\r\n..dot\r\n.",
            "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<u@one.test>\r\nDATA\r\n\r\n.\r\nRSET\r\nQUIT", "DATA", ".", "RCPT TO:<u@one.test>");
    /** ManageSieve (RFC 5804) before login. */
    public static final List<String> SIEVE = List.of(
            "CAPABILITY", "NOOP", "NOOP \"tag\"", "LOGOUT", "STARTTLS", "AUTHENTICATE \"PLAIN\" \"AGJvYgBzZWNyZXQ=\"",
            "AUTHENTICATE \"PLAIN\"\r\n\"AGJvYgBzZWNyZXQ=\"", "AUTHENTICATE \"PLAIN\" {16+}\r\nAGJvYgBzZWNyZXQ=",
            "AUTHENTICATE \"LOGIN\"\r\n\"Ym9i\"\r\n\"c2VjcmV0\"", "AUTHENTICATE \"PLAIN\"\r\n\"*\"", "HAVESPACE \"s\" 100",
            "PUTSCRIPT \"s\" {5+}\r\nkeep;", "LISTSCRIPTS", "UNAUTHENTICATE", "GETSCRIPT \"s\"");

    /** Per protocol: cases a parser author would dread. */
    public static List<String> nasty(String protocol) {
        String longLine = "A".repeat(8200);
        return switch (protocol) {
            case "imap" -> List.of(
                    "a LOGIN {99999999999999999999999}", "a LOGIN {4294967296}", "a LOGIN {2147483648+}",
                    "a LOGIN {-1}", "a LOGIN {-1+}", "a LOGIN { 5}", "a LOGIN {5", "a LOGIN {}", "a LOGIN {+}",
                    "a LOGIN {8192}", "a LOGIN {8193}", "a LOGIN {8193+}\r\n" + "x".repeat(100), "a LOGIN \"bob",
                    "a LOGIN \"bo\0b\" x", "a LOGIN bob {3}\r\na\0b", "a NOOP\rb NOOP", "a LOGIN \"bob\\", "a LOGIN \"a\\x\" b",
                    "a " + longLine, "a LOGIN " + "x".repeat(8180) + " y", "a AUTHENTICATE PLAIN !!!!",
                    "a AUTHENTICATE PLAIN\r\n%%%%", "a AUTHENTICATE PLAIN\r\n*", "a AUTHENTICATE LOGIN\r\n====\r\n",
                    "a AUTHENTICATE PLAIN AAAA", "a AUTHENTICATE PLAIN " + "QUFB".repeat(3000),
                    "a STARTTLS\r\n\u0016\u0003\u0001\u0000\u00ff" + "junk".repeat(50), "a ID (" + "\"k\" \"v\" ".repeat(40) + ")",
                    "a ID (\"k\" {3}\r\nabc)", "a ID (\"k\"", "a SELECT {5+}\r\nINBOX\r\na SELECT {9999999+}",
                    "a SELECT {100+}\r\n", "\r\n\r\n", " ", "+", "a", "a ", "\u00ff\u00fe LOGIN x y");
            case "pop3" -> List.of(
                    "USER \0bob", "USER bob\r\nPASS \0", "USER bob\rPASS x", longLine, "USER " + "x".repeat(8187),
                    "AUTH PLAIN !!!!", "AUTH PLAIN\r\n%%%%", "AUTH PLAIN\r\n*", "AUTH LOGIN\r\n====\r\n",
                    "AUTH PLAIN " + "QUFB".repeat(3000), "AUTH PLAIN AAAA", "AUTH X Y Z", "AUTH  ", "APOP bob",
                    "APOP bob zz", "STLS\r\n\u0016\u0003\u0001\u0000\u00ff" + "junk".repeat(50), "STLS x", "USER", "PASS",
                    "\r\n\r\n", " ", "\u00ff\u00fe\u0000");
            case "lmtp" -> List.of(
                    "LHLO", "LHLO \0", "LHLO x\rMAIL FROM:<a>", longLine, "LHLO " + "x".repeat(8185),
                    "LHLO x\r\nMAIL FROM:<a@b> SIZE=999999999999999999999", "LHLO x\r\nMAIL FROM:<unclosed",
                    "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<>", "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<@a,@b:>",
                    "LHLO x\nMAIL FROM:<>\nRCPT TO:<u@one.test>\nDATA\nhello\n.\n",
                    // SMTP smuggling: a second transaction behind a "." that is not CRLF "." CRLF
                    "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<u@one.test>\r\nDATA\r\nhello\n.\nMAIL FROM:<ceo@bank.test>\r\n"
                            + "RCPT TO:<v@two.test>\r\nDATA\r\nforged\r\n.",
                    "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<u@one.test>\r\nDATA\r\nhello\r.\r\nx\n.\r\ny\r\n.\n",
                    "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<u@one.test>\r\nRCPT TO:<v@two.test>\r\nDATA\r\n" + "y".repeat(70_000),
                    "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<u@one.test>\r\nDATA\r\n" + ("z".repeat(900) + "\r\n").repeat(30),
                    "LHLO x\r\nMAIL FROM:<>\r\n" + "RCPT TO:<u@one.test>\r\n".repeat(40), "DATA\r\n.\r\n.", "\r\n\r\n", " ",
                    "\u00ff\u00fe\u0000");
            case "sieve" -> List.of(
                    "AUTHENTICATE \"PLAIN\" {99999999999+}", "AUTHENTICATE \"PLAIN\" {4294967296+}", "AUTHENTICATE {-1+}",
                    "AUTHENTICATE \"PLAIN\" {5", "AUTHENTICATE \"PLAIN\" {}", "AUTHENTICATE \"PLAIN\" {+}",
                    "AUTHENTICATE \"PLAIN\" {8193+}\r\n" + "x".repeat(100), "AUTHENTICATE \"PLA", "AUTHENTICATE \"a\\x\"",
                    "AUTHENTICATE \"P\0LAIN\"", "NOOP \"" + "q".repeat(1100) + "\"", longLine, "AUTHENTICATE " + "x".repeat(8180),
                    "AUTHENTICATE \"PLAIN\" \"!!!!\"", "AUTHENTICATE \"PLAIN\"\r\n%%%%", "AUTHENTICATE \"PLAIN\"\r\n{3+}\r\nabc",
                    "AUTHENTICATE \"LOGIN\"\r\n\"====\"\r\n", "AUTHENTICATE \"PLAIN\" \"" + "QUFB".repeat(250) + "\"",
                    "STARTTLS\r\n\u0016\u0003\u0001\u0000\u00ff" + "junk".repeat(50), "NOOP a b c d e f g h i j", "NOOP  x",
                    "NOOP {3+}\r\nabc {3+}\r\ndef", "NOOP {3+} x", "\r\n\r\n", " ", "\u00ff\u00fe\u0000");
            default -> List.of(
                    "EHLO", "HELO ", "EHLO \0", "EHLO x\rMAIL FROM:<a>", longLine, "EHLO " + "x".repeat(8185),
                    "EHLO x\r\nAUTH PLAIN !!!!", "EHLO x\r\nAUTH PLAIN\r\n%%%%", "EHLO x\r\nAUTH PLAIN\r\n*",
                    "EHLO x\r\nAUTH LOGIN\r\n====", "EHLO x\r\nAUTH PLAIN " + "QUFB".repeat(3000), "EHLO x\r\nAUTH PLAIN AAAA",
                    "EHLO x\r\nAUTH X Y Z", "EHLO x\r\nAUTH  ", "STARTTLS\r\n\u0016\u0003\u0001\u0000\u00ff" + "junk".repeat(50),
                    "STARTTLS junk", "EHLO x\r\nMAIL FROM:<a@b> SIZE=999999999999999999999",
                    "EHLO x\r\nMAIL FROM:<a@b> SIZE=-1", "EHLO x\r\nMAIL FROM:<unclosed", "EHLO x\r\nMAIL FROM:",
                    "EHLO x\r\nRCPT TO:<>", "MAIL", "RCPT", "\r\n\r\n", " ", "\u00ff\u00fe\u0000");
        };
    }

    /** One input for {@code protocol}: a whole client transcript (several lines), as bytes. */
    public static byte[] input(String protocol, Random r) {
        List<String> valid = switch (protocol) {
            case "imap" -> IMAP;
            case "pop3" -> POP3;
            case "lmtp" -> LMTP;
            case "sieve" -> SIEVE;
            default -> SMTP;
        };
        // LMTP: messages past the 64 KB chunk and a spool
        return input(valid, nasty(protocol), r, protocol.equals("lmtp") ? 200_000 : 40_000);
    }

    /**
     * One input made of pieces of another parser's corpus: {@code valid} inputs that parse,
     * {@code nasty} hand-picked cases (the admin listener's HTTP requests, for one).
     */
    public static byte[] input(List<String> valid, List<String> nasty, Random r) {
        return input(valid, nasty, r, 40_000);
    }

    private static byte[] input(List<String> valid, List<String> nasty, Random r, int max) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int lines = 1 + r.nextInt(4);
        for (int i = 0; i < lines; i++) {
            byte[] piece = switch (r.nextInt(5)) {
                case 0 -> randomBytes(r, r.nextInt(300));
                case 1 -> bytes(nasty.get(r.nextInt(nasty.size())));
                case 2 -> bytes(valid.get(r.nextInt(valid.size())));
                default -> mutate(r, bytes(pick(r, valid, nasty)), 1 + r.nextInt(4));
            };
            out.writeBytes(piece);
            out.writeBytes(lineEnd(r));
        }
        byte[] all = out.toByteArray();
        return all.length > max ? java.util.Arrays.copyOf(all, max) : all;
    }

    /**
     * A line for a parser that is given whole lines by {@code Connection.readLine} (no LF
     * inside): mostly the input's first line, sometimes the whole input with its LFs dropped,
     * bare CRs and all.
     */
    public static String line(String protocol, Random r) {
        String s = new String(input(protocol, r), StandardCharsets.ISO_8859_1);
        int lf = s.indexOf('\n');
        if (lf >= 0 && r.nextBoolean()) {
            s = s.substring(0, lf);
            // the reader strips the CR of a CRLF
            return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
        }
        return s.replace("\n", "");
    }

    private static String pick(Random r, List<String> a, List<String> b) {
        List<String> from = r.nextInt(3) == 0 ? b : a;
        return from.get(r.nextInt(from.size()));
    }

    private static byte[] lineEnd(Random r) {
        return switch (r.nextInt(10)) {
            case 0 -> new byte[0];
            case 1 -> new byte[] {'\n'};
            case 2 -> new byte[] {'\r'};
            case 3 -> new byte[] {'\r', '\r', '\n'};
            default -> new byte[] {'\r', '\n'};
        };
    }

    private static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static byte[] mutate(Random r, byte[] in, int rounds) {
        byte[] b = in;
        for (int i = 0; i < rounds; i++) {
            int at = b.length == 0 ? 0 : r.nextInt(b.length);
            b = switch (r.nextInt(6)) {
                case 0 -> { // flip a byte
                    if (b.length == 0) yield b;
                    byte[] c = b.clone();
                    c[at] = (byte) r.nextInt(256);
                    yield c;
                }
                case 1 -> insert(b, at, new byte[] {SPECIAL[r.nextInt(SPECIAL.length)]});
                case 2 -> insert(b, at, randomBytes(r, 1 + r.nextInt(20)));
                case 3 -> java.util.Arrays.copyOf(b, at); // cut the rest
                case 4 -> { // drop a range
                    int len = Math.min(b.length - at, 1 + r.nextInt(8));
                    byte[] c = new byte[b.length - len];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(b, at + len, c, at, b.length - at - len);
                    yield c;
                }
                default -> insert(b, at, bytes(Integer.toString(r.nextInt(3) == 0 ? -r.nextInt(1000) : r.nextInt())));
            };
        }
        return b;
    }

    private static byte[] insert(byte[] b, int at, byte[] what) {
        byte[] c = new byte[b.length + what.length];
        System.arraycopy(b, 0, c, 0, at);
        System.arraycopy(what, 0, c, at, what.length);
        System.arraycopy(b, at, c, at + what.length, b.length - at);
        return c;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * Parses {@code inputs} seeded random lines of {@code protocol} with {@code parseAndCheck}
     * (null: the value is sound; else what is wrong with it); returns the first 20 problems,
     * each with the seed that makes it again. An exception is a problem too.
     */
    public static List<String> lineFailures(String protocol, int inputs, Function<String, String> parseAndCheck) {
        long base = seed();
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < inputs && failures.size() < 20; i++) {
            long seed = seed(base, i);
            try {
                String bad = parseAndCheck.apply(line(protocol, new Random(seed)));
                if (bad != null) failures.add("seed " + seed + ": " + bad);
            } catch (RuntimeException e) {
                failures.add("seed " + seed + ": " + e);
            }
        }
        if (!failures.isEmpty()) failures.add(0, "base seed " + base);
        return failures;
    }
}
