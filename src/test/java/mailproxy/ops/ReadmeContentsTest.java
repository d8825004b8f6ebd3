package mailproxy.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * README.md's table of contents lists every section ("## "), in order, and every link to
 * a heading in README.md ("(#anchor)") reaches one: a section added, renamed or moved
 * shows here rather than as a dead link on the project page.
 */
class ReadmeContentsTest {
    private static final Pattern HEADING = Pattern.compile("^(#{1,6}) (.+)$");
    private static final Pattern CONTENTS_LINE = Pattern.compile("^- \\[(.+)]\\(#([^)]+)\\)$");
    private static final Pattern LINK = Pattern.compile("]\\(#([^)\\s]+)\\)");

    /** Lines outside ``` fences (a shell comment or a config line there is no heading). */
    private static List<String> prose() throws Exception {
        List<String> out = new ArrayList<>();
        boolean fenced = false;
        for (String line : Files.readAllLines(OpsFiles.project().resolve("README.md"))) {
            if (line.startsWith("```")) fenced = !fenced;
            else if (!fenced) out.add(line);
        }
        return out;
    }

    /** GitHub's anchor: lower case, punctuation dropped (not - or _), spaces to -, "-1"... for repeats. */
    private static String anchor(String heading, Map<String, Integer> seen) {
        String a = heading.strip().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}_\\- ]", "").replace(' ', '-');
        int n = seen.merge(a, 1, Integer::sum);
        return n == 1 ? a : a + "-" + (n - 1);
    }

    @Test
    void theContentsListEverySectionInOrder() throws Exception {
        List<String> sections = new ArrayList<>();
        List<String> contents = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (String line : prose()) {
            Matcher h = HEADING.matcher(line);
            if (h.matches()) {
                String a = anchor(h.group(2), seen);
                if (h.group(1).equals("##")) sections.add("- [" + h.group(2) + "](#" + a + ")");
            }
            if (CONTENTS_LINE.matcher(line).matches()) contents.add(line);
        }
        assertEquals(String.join("\n", sections), String.join("\n", contents), "README.md's Contents");
    }

    @Test
    void everyLinkToAHeadingReachesOne() throws Exception {
        Set<String> anchors = new TreeSet<>();
        Map<String, Integer> seen = new HashMap<>();
        List<String> prose = prose();
        for (String line : prose) {
            Matcher h = HEADING.matcher(line);
            if (h.matches()) anchors.add(anchor(h.group(2), seen));
        }
        Set<String> dead = new TreeSet<>();
        for (String line : prose) {
            Matcher m = LINK.matcher(line);
            while (m.find()) if (!anchors.contains(m.group(1))) dead.add(m.group(1));
        }
        assertEquals(Set.of(), dead, "links to no heading; headings: " + anchors);
    }
}
