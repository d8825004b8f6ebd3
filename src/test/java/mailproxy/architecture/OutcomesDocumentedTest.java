package mailproxy.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import mailproxy.session.Outcome;
import org.junit.jupiter.api.Test;

/**
 * docs/ARCHITECTURE.md, "Outcomes" names every way a session ends, as the log line writes
 * it: an outcome added to session.Outcome without its word there shows here.
 */
class OutcomesDocumentedTest {

    @Test
    void everyOutcomeIsNamedInArchitecture() throws Exception {
        String doc = Files.readString(Path.of("docs/ARCHITECTURE.md"));
        int from = doc.indexOf("### Outcomes");
        String section = doc.substring(from, doc.indexOf("\n## ", from));
        List<String> missing = new ArrayList<>();
        for (Outcome o : Outcome.values()) {
            if (!section.contains("`" + o + "`")) missing.add(o.toString());
        }
        assertEquals(List.of(), missing, "outcomes not named in docs/ARCHITECTURE.md, \"Outcomes\"");
    }
}
