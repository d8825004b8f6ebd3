package mailproxy.sieve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import mailproxy.testing.FuzzInputs;
import mailproxy.wire.Connection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded garbage straight at {@link SieveParser} (RFC 5804 §4), over a connection that
 * reads from memory: whole client transcripts, literals and quoted strings included, read
 * as commands and, at random, as AUTHENTICATE answers. The parser never throws anything
 * but an IOException (end of input, an overlong line, a malformed answer), and what it
 * returns keeps its bounds: a command name of atom characters, at most 8 arguments, none
 * longer than its line or the literal limit, an answer string no longer than the literal
 * limit or 1024 quoted characters.
 *
 * <p>{@code -Dmailproxy.fuzz.seed=N} runs another seed ({@code random} picks one).
 */
@Timeout(60)
class SieveParserFuzzTest {
    private static final int INPUTS = 5_000;
    private static final int MAX_LINE = 8192;
    private static final int MAX_LITERAL = 4096;

    @Test
    void everyInputParsesWithinItsBounds() throws Exception {
        long base = FuzzInputs.seed();
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < INPUTS && failures.size() < 20; i++) {
            long seed = FuzzInputs.seed(base, i);
            Random r = new Random(seed);
            String bad = parseAll(FuzzInputs.input("sieve", r), r);
            if (bad != null) failures.add("seed " + seed + ": " + bad);
        }
        assertEquals(List.of(), failures, "base seed " + base);
    }

    /** Reads commands (and now and then an answer string) until the input ends; null, or what is wrong. */
    private static String parseAll(byte[] input, Random r) throws IOException {
        SieveParser p = new SieveParser(inMemory(input), MAX_LINE, MAX_LITERAL);
        try {
            for (int n = 0; n < 10_000; n++) {
                if (r.nextInt(4) == 0) {
                    String s = p.readString();
                    if (s == null) return null;
                    if (s.length() > Math.max(MAX_LITERAL, SieveParser.MAX_QUOTED)) return "answer of " + s.length() + " chars";
                    continue;
                }
                SieveCommand c = p.read();
                if (c == null) return null;
                String bad = check(c);
                if (bad != null) return bad;
            }
            return "more commands than the input could hold";
        } catch (IOException expected) {
            return null; // end of input inside a command, an overlong line, a malformed answer
        } catch (RuntimeException e) {
            return e.toString();
        }
    }

    private static String check(SieveCommand c) {
        return switch (c) {
            case SieveCommand.Parsed p when p.name().isEmpty() || !p.name().chars().allMatch(ch -> ch > 0x20 && ch < 0x7f) ->
                    "bad command name";
            case SieveCommand.Parsed p when p.args().size() > 8 -> p.args().size() + " arguments";
            // an atom is bounded by its line, a literal by its limit, a quoted string by 1024
            case SieveCommand.Parsed p when p.args().stream().anyMatch(a -> a.length() > Math.max(MAX_LINE, MAX_LITERAL)) ->
                    "an argument over the limits";
            case SieveCommand.Invalid i when i.reason() == null || i.reason().isEmpty() -> "Invalid without a reason";
            default -> null;
        };
    }

    /** A connection whose peer sent {@code input} and then closed. */
    private static Connection inMemory(byte[] input) throws IOException {
        InputStream in = new ByteArrayInputStream(input);
        Socket s = new Socket() {
            @Override public InputStream getInputStream() { return in; }
            @Override public OutputStream getOutputStream() { return OutputStream.nullOutputStream(); }
        };
        return new Connection(s, 256);
    }
}
