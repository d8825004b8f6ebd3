package mailproxy.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No cycles between mailproxy.* packages (docs/ARCHITECTURE.md, "Packages"): dependencies
 * point one way, from the server through the protocols and the session seam down to
 * route, config, tls, sasl and wire. Read from the sources: imports and fully-qualified
 * names alike.
 */
class PackageCycleTest {
    private static final Path MAIN = Path.of("src/main/java");
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+(mailproxy(?:\\.\\w+)*);", Pattern.MULTILINE);
    /** mailproxy.pkg.Type or mailproxy.pkg.sub.Type: the package is what precedes the first capitalised part. */
    private static final Pattern REFERENCE = Pattern.compile("\\bmailproxy((?:\\.[a-z]\\w*)*)\\.[A-Z]");

    @Test
    void thereAreNoCyclesBetweenPackages() throws IOException {
        Map<String, Set<String>> graph = dependencies();
        assertTrue(graph.size() > 8, "expected the project's packages, found " + graph.keySet());
        List<List<String>> cycles = new Tarjan(graph).cycles();
        if (!cycles.isEmpty()) fail("package cycles: " + cycles + "\nedges: " + graph);
    }

    @Test
    void theSeamDoesNotKnowTheServerOrAnyProtocol() throws IOException {
        Set<String> seam = dependencies().get("mailproxy.session");
        for (String p : List.of("mailproxy.server", "mailproxy.imap", "mailproxy.pop3", "mailproxy.smtp")) {
            assertTrue(!seam.contains(p), "mailproxy.session depends on " + p);
        }
    }

    @Test
    void theDetectorFindsACycle() {
        Map<String, Set<String>> g = new TreeMap<>(Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"), "d", Set.of("a")));
        assertEquals(List.of(List.of("a", "b", "c")), new Tarjan(g).cycles());
    }

    static Map<String, Set<String>> dependencies() throws IOException {
        Map<String, Set<String>> graph = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(MAIN)) {
            files = s.filter(p -> p.toString().endsWith(".java")).toList();
        }
        for (Path f : files) {
            String src = Files.readString(f);
            Matcher pm = PACKAGE.matcher(src);
            if (!pm.find()) continue;
            String pkg = pm.group(1);
            Set<String> deps = graph.computeIfAbsent(pkg, k -> new TreeSet<>());
            Matcher rm = REFERENCE.matcher(withoutComments(src.substring(pm.end())));
            while (rm.find()) {
                String target = "mailproxy" + rm.group(1);
                if (!target.equals(pkg)) deps.add(target);
            }
        }
        return graph;
    }

    /** Comments may name other packages ({@link ...}); only code counts. */
    private static String withoutComments(String src) {
        return src.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
    }

    /** Tarjan's strongly connected components; every component of more than one node is a cycle. */
    private static final class Tarjan {
        private final Map<String, Set<String>> graph;
        private final Map<String, Integer> index = new TreeMap<>();
        private final Map<String, Integer> low = new TreeMap<>();
        private final List<String> stack = new ArrayList<>();
        private final Set<String> onStack = new TreeSet<>();
        private final List<List<String>> cycles = new ArrayList<>();
        private int counter;

        Tarjan(Map<String, Set<String>> graph) {
            this.graph = graph;
        }

        List<List<String>> cycles() {
            for (String v : graph.keySet()) if (!index.containsKey(v)) visit(v);
            return cycles;
        }

        private void visit(String v) {
            index.put(v, counter);
            low.put(v, counter);
            counter++;
            stack.add(v);
            onStack.add(v);
            for (String w : graph.getOrDefault(v, Set.of())) {
                if (!index.containsKey(w)) {
                    visit(w);
                    low.put(v, Math.min(low.get(v), low.get(w)));
                } else if (onStack.contains(w)) {
                    low.put(v, Math.min(low.get(v), index.get(w)));
                }
            }
            if (low.get(v).equals(index.get(v))) {
                List<String> component = new ArrayList<>();
                String w;
                do {
                    w = stack.remove(stack.size() - 1);
                    onStack.remove(w);
                    component.add(w);
                } while (!w.equals(v));
                if (component.size() > 1) cycles.add(component.stream().sorted().toList());
            }
        }
    }
}
