package mailproxy.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import mailproxy.config.Protocol;
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
        Map<String, Set<String>> graph = dependencies();
        Set<String> seam = graph.get("mailproxy.session");
        assertTrue(!seam.contains("mailproxy.server"), "mailproxy.session depends on mailproxy.server");
        for (String p : protocolPackages()) {
            assertTrue(graph.containsKey(p), "no package " + p + " for the protocol of that name");
            assertTrue(!seam.contains(p), "mailproxy.session depends on " + p);
        }
    }

    /** mailproxy.&lt;id&gt; for every value of config.Protocol: each protocol is a package of its own. */
    static List<String> protocolPackages() {
        return Arrays.stream(Protocol.values()).map(p -> "mailproxy." + p.id()).toList();
    }

    @Test
    void theDetectorFindsACycle() {
        Map<String, Set<String>> g = new TreeMap<>(Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"), "d", Set.of("a")));
        assertEquals(List.of(List.of("a", "b", "c")), new Tarjan(g).cycles());
    }

    static Map<String, Set<String>> dependencies() throws IOException {
        Map<String, Set<String>> graph = new TreeMap<>();
        for (Reference r : references()) {
            Set<String> deps = graph.computeIfAbsent(r.from(), k -> new TreeSet<>());
            if (r.to() != null) deps.add(r.to());
        }
        return graph;
    }

    /**
     * Where a file of src/main names a package of ours other than its own.
     *
     * @param to   null for the one entry every file gets, so a package that names no other is a node too
     * @param text the name as written (mailproxy.tls.TlsClient)
     */
    record Reference(String from, String to, Path file, int line, String text) {
        @Override public String toString() {
            return file + ":" + line + " names " + text;
        }
    }

    static List<Reference> references() throws IOException {
        List<Reference> out = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(MAIN)) {
            files = s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
        for (Path f : files) {
            String src = withoutComments(Files.readString(f));
            Matcher pm = PACKAGE.matcher(src);
            if (!pm.find()) continue;
            String pkg = pm.group(1);
            out.add(new Reference(pkg, null, f, 0, ""));
            Matcher rm = REFERENCE.matcher(src);
            rm.region(pm.end(), src.length());
            while (rm.find()) {
                String target = "mailproxy" + rm.group(1);
                int line = 1 + (int) src.substring(0, rm.start()).chars().filter(c -> c == '\n').count();
                String text = src.substring(rm.start(), nameEnd(src, rm.end()));
                if (!target.equals(pkg)) out.add(new Reference(pkg, target, f, line, text));
            }
        }
        return out;
    }

    /** The end of the type name that begins just before {@code from}. */
    private static int nameEnd(String src, int from) {
        int i = from;
        while (i < src.length() && (Character.isJavaIdentifierPart(src.charAt(i)) || src.charAt(i) == '.')) i++;
        return i;
    }

    /** A string literal (text blocks first), or a comment. */
    private static final Pattern LITERAL_OR_COMMENT =
            Pattern.compile("(?s)\"\"\".*?\"\"\"|\"(?:\\\\.|[^\"\\\\\\n])*\"|'(?:\\\\.|[^'\\\\])+'|/\\*.*?\\*/|//[^\\n]*");

    /**
     * Comments may name other packages ({@link ...}); only code counts. A comment becomes
     * its line ends, so the line numbers of the code stay as they are; string literals stay
     * (a "/*" in one, "/health/*", opens no comment).
     */
    private static String withoutComments(String src) {
        return LITERAL_OR_COMMENT.matcher(src).replaceAll(m -> m.group().startsWith("/")
                ? m.group().replaceAll("[^\\n]", "") : Matcher.quoteReplacement(m.group()));
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
