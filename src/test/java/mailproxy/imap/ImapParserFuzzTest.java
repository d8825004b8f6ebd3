package mailproxy.imap;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import mailproxy.testing.FuzzInputs;
import mailproxy.wire.Connection;
import mailproxy.wire.LineTooLongException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded garbage straight at {@link ImapParser}, through a {@link Connection} over a real
 * loopback socket pair: the client side writes the input and half-closes, the parser reads
 * commands until the end. It must return commands (or null at the end) and throw only what
 * it documents: {@link LineTooLongException}, and {@link EOFException} for a stream that
 * ends inside a command. (A timeout would mean it waited for bytes past the end: a failure
 * here.) Commands must hold what the grammar allows: a tag, no NUL in a login.
 *
 * <p>{@code -Dmailproxy.fuzz.seed=N} runs another seed ({@code random} picks one).
 */
@Timeout(180)
class ImapParserFuzzTest {
    private static final int INPUTS = 20_000;
    private static final long SEED = FuzzInputs.seed();


    @Test
    void parserReturnsCommandsOrItsDocumentedExceptions() throws Exception {
        List<String> failures = new ArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            for (int i = 0; i < INPUTS && failures.size() < 20; i++) {
                long seed = FuzzInputs.seed(SEED, i);
                Random r = new Random(seed);
                byte[] input = FuzzInputs.input("imap", r);
                // a third of the inputs meet small limits, so limits are hit often
                boolean small = r.nextInt(3) == 0;
                int maxLine = small ? 16 + r.nextInt(2048) : 8192;
                int maxLiteral = small ? r.nextInt(512) : 8192;
                String problem = parseAll(server, input, maxLine, maxLiteral);
                if (problem != null) failures.add("seed " + seed + " (" + maxLine + "/" + maxLiteral + "): " + problem);
            }
        }
        assertEquals(List.of(), failures, "base seed " + SEED);
    }

    /** Parses the whole input; null when all went as documented, else what did not. */
    private static String parseAll(ServerSocket server, byte[] input, int maxLine, int maxLiteral) throws IOException {
        try (Socket client = new Socket(server.getInetAddress(), server.getLocalPort());
             Socket accepted = server.accept()) {
            // writes from its own thread: a parser that answers "+" must not wait on us
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    // not closing the stream: that would close the socket under the parser's "+"
                    OutputStream out = client.getOutputStream();
                    out.write(input);
                    client.shutdownOutput();
                } catch (IOException ignored) {
                    // the reading side closed first
                }
            });
            Connection c = new Connection(accepted, 1024);
            c.readTimeout(Duration.ofSeconds(5));
            ImapParser parser = new ImapParser(c, maxLine, maxLiteral);
            try {
                for (int n = 0; n <= input.length; n++) { // each command takes at least one byte
                    ImapCommand command = parser.read();
                    if (command == null) return null;
                    String bad = check(command);
                    if (bad != null) return bad;
                    if (command instanceof ImapCommand.Invalid invalid && invalid.close()) return null;
                }
                return "more commands than bytes";
            } catch (LineTooLongException | EOFException documented) {
                return null;
            } catch (SocketTimeoutException e) {
                return "waited for bytes past the end of the input";
            } catch (RuntimeException | IOException e) {
                return e.toString();
            } finally {
                accepted.close();
                try {
                    writer.join(Duration.ofSeconds(5));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** What the grammar promises about a parsed command; null when it holds. */
    private static String check(ImapCommand command) {
        if (command.tag() == null || command.tag().isEmpty()) return "no tag: " + command;
        return switch (command) {
            case ImapCommand.Login l when l.user().indexOf('\0') >= 0 || l.password().indexOf('\0') >= 0 -> "NUL in a login";
            case ImapCommand.Authenticate a when a.mechanism().isEmpty() -> "empty mechanism";
            case ImapCommand.Id id when id.params().size() % 2 != 0 || id.params().size() > 2 * ImapParser.MAX_ID_PAIRS ->
                    "ID with " + id.params().size() + " values";
            case ImapCommand.Invalid i when i.reason() == null -> "Invalid without a reason";
            default -> null;
        };
    }
}
