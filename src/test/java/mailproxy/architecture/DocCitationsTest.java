package mailproxy.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every section a comment cites by name, {@code docs/ARCHITECTURE.md, "The login"},
 * {@code docs/SECURITY.md, "Log lines"} or {@code README.md, "SMTP"} (in src/main and
 * src/test, across a comment's line break too), is a heading of that file: a section renamed
 * or never written shows here, not to the next reader as a pointer to nowhere. A citation
 * may shorten a heading to its first words ("Log lines" for "Log lines cannot be forged").
 */
class DocCitationsTest {
    /** The file, then optionally a comma or parenthesis, then the heading in quotes; a comment's line break may fall between. */
    private static final Pattern CITATION = Pattern.compile(
            "(docs/[A-Za-z_]+\\.md|README(?:\\.md)?)(?:'s)?,?(?:\\s|\\*|//|#)*\\(?\"([A-Za-z][^\"]{0,120})\"");
    private static final Pattern HEADING = Pattern.compile("^#{1,6} (.+)$");

    /** One citation: where it is, the file it names, the heading it names. */
    record Citation(Path source, int line, Path cited, String heading) {
        @Override public String toString() {
            return source + ":" + line + " cites " + cited + ", \"" + heading + "\"";
        }
    }

    @Test
    void everyCitedSectionIsAHeadingOfItsFile() throws IOException {
        List<Citation> citations = new ArrayList<>();
        for (Path f : sources()) citations.addAll(citations(f, Files.readString(f)));
        assertTrue(citations.size() > 20, "expected the project's citations, found " + citations);
        List<String> wrong = new ArrayList<>();
        for (Citation c : citations) {
            String why = check(c);
            if (why != null) wrong.add(why);
        }
        if (!wrong.isEmpty()) fail(String.join("\n", wrong));
    }

    @Test
    void aCitationOfNoHeadingIsFoundAcrossALineBreak() throws IOException {
        String source = """
                /**
                 * The login (docs/ARCHITECTURE.md,
                 * "The login"); the guard (docs/SECURITY.md, "Password
                 * guessing"); forgery (docs/SECURITY.md, "Log lines"); nothing (docs/ARCHITECTURE.md, "SMTP").
                 */
                """;
        List<Citation> found = citations(Path.of("X.java"), source);
        assertEquals(List.of("The login", "Password guessing", "Log lines", "SMTP"),
                found.stream().map(Citation::heading).toList());
        assertEquals(List.of(2, 3, 4, 4), found.stream().map(Citation::line).toList());
        List<String> wrong = found.stream().map(DocCitationsTest::check).filter(w -> w != null).toList();
        assertEquals(List.of("X.java:4 cites docs/ARCHITECTURE.md, \"SMTP\": no such heading"), wrong);
    }

    /** Every source file but this one, whose examples cite a heading that is not there on purpose. */
    private static List<Path> sources() throws IOException {
        Path self = Path.of("src/test/java/mailproxy/architecture/DocCitationsTest.java");
        try (Stream<Path> s = Files.walk(Path.of("src"))) {
            return s.filter(p -> p.toString().matches(".*\\.(java|conf|sh)") && !p.equals(self)).sorted().toList();
        }
    }

    static List<Citation> citations(Path source, String text) {
        List<Citation> out = new ArrayList<>();
        Matcher m = CITATION.matcher(text);
        while (m.find()) {
            Path cited = Path.of(m.group(1).startsWith("README") ? "README.md" : m.group(1));
            String heading = m.group(2).replaceAll("\\s*\\n\\s*(?:\\*|//|#)?\\s*", " ").strip();
            int line = 1 + (int) text.substring(0, m.start()).chars().filter(c -> c == '\n').count();
            out.add(new Citation(source, line, cited, heading));
        }
        return out;
    }

    /** Null when the cited file has the heading (or one that begins with its words), else why not. */
    private static String check(Citation c) {
        if (!Files.exists(c.cited())) return c + ": no such file";
        List<String> headings;
        try {
            headings = headings(c.cited());
        } catch (IOException e) {
            return c + ": " + e.getMessage();
        }
        for (String h : headings) {
            if (h.equals(c.heading()) || h.startsWith(c.heading()) && !Character.isLetterOrDigit(h.charAt(c.heading().length()))) {
                return null;
            }
        }
        return c + ": no such heading";
    }

    /** The headings of a markdown file, outside ``` fences (a shell comment there is none). */
    private static List<String> headings(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        boolean fenced = false;
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith("```")) fenced = !fenced;
            Matcher h = HEADING.matcher(line);
            if (!fenced && h.matches()) out.add(h.group(1).strip());
        }
        return out;
    }
}
