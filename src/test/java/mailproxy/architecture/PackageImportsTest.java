package mailproxy.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import mailproxy.architecture.PackageCycleTest.Reference;
import org.junit.jupiter.api.Test;

/**
 * Each package imports only what docs/ARCHITECTURE.md, "Packages" lets it (the table's "may
 * import" column, read by {@link PackageTable}), the table has a row for every package of
 * src/main and for every protocol of config.Protocol, and each package says its job and its
 * imports in a package-info.
 */
class PackageImportsTest {
    private static final Path MAIN = Path.of("src/main/java");

    @Test
    void everyPackageImportsOnlyWhatTheTableAllows() throws IOException {
        Map<String, Set<String>> table = PackageTable.read(PackageCycleTest.protocolPackages());
        List<String> wrong = violations(table, PackageCycleTest.references());
        if (!wrong.isEmpty()) fail(String.join("\n", wrong));
    }

    @Test
    void theTableHasARowForEveryPackageAndNoOther() throws IOException {
        Map<String, Set<String>> table = PackageTable.read(PackageCycleTest.protocolPackages());
        Set<String> packages = PackageCycleTest.dependencies().keySet();
        assertEquals(new TreeSet<>(packages), new TreeSet<>(table.keySet()),
                "the packages of src/main against the rows of " + PackageTable.ARCHITECTURE + ", \"Packages\"");
        for (String p : PackageCycleTest.protocolPackages()) assertTrue(table.containsKey(p), "no row for " + p);
    }

    @Test
    void everyPackageSaysItsJobAndItsImportsInAPackageInfo() throws IOException {
        for (String p : PackageCycleTest.dependencies().keySet()) {
            Path info = MAIN.resolve(p.replace('.', '/')).resolve("package-info.java");
            assertTrue(Files.exists(info), "no " + info);
            String text = Files.readString(info).replaceAll("\\s*\\n\\s*\\*\\s*", " ");
            assertTrue(text.contains("docs/ARCHITECTURE.md, \"Packages\""),
                    info + " does not cite docs/ARCHITECTURE.md, \"Packages\" for what it may import");
        }
    }

    @Test
    void aForbiddenImportIsNamedWithItsFileAndLine() {
        Map<String, Set<String>> table = Map.of("mailproxy.guard", Set.of("mailproxy.config"), "mailproxy", PackageTable.EVERYTHING);
        Path file = Path.of("src/main/java/mailproxy/guard/Guard.java");
        List<String> wrong = violations(table, List.of(
                new Reference("mailproxy.guard", "mailproxy.config", file, 3, "mailproxy.config.GuardConfig"),
                new Reference("mailproxy.guard", "mailproxy.session", file, 7, "mailproxy.session.Session"),
                new Reference("mailproxy", "mailproxy.session", Path.of("Main.java"), 9, "mailproxy.session.Session")));
        assertEquals(List.of(file + ":7 names mailproxy.session.Session, but docs/ARCHITECTURE.md, \"Packages\""
                + " lets mailproxy.guard import only [mailproxy.config]"), wrong);
    }

    @Test
    void theTableIsReadRowByRow() {
        String doc = """
                ## Packages

                | package | owns | may import |
                |---|---|---|
                | `mailproxy` (root) | Main | everything |
                | `session` | the seam | wire, sasl (`Credentials`) — never a protocol |
                | `imap`, `smtp` | a protocol each | session, wire; smtp also envelope |
                | `server` | listeners | session, the protocols and wire |
                | `envelope` | grammar | (nothing of ours) |
                | `sasl` | SASL | (nothing of ours; really) |
                | `wire` | bytes | |

                ## Next
                | `ignored` | x | y |
                """;
        Map<String, Set<String>> t = PackageTable.parse(doc, List.of("mailproxy.imap", "mailproxy.smtp"));
        assertEquals(PackageTable.EVERYTHING, t.get("mailproxy"));
        assertEquals(Set.of("mailproxy.wire", "mailproxy.sasl"), t.get("mailproxy.session"));
        assertEquals(Set.of("mailproxy.session", "mailproxy.wire"), t.get("mailproxy.imap"));
        assertEquals(Set.of("mailproxy.session", "mailproxy.wire", "mailproxy.envelope"), t.get("mailproxy.smtp"));
        assertEquals(Set.of("mailproxy.session", "mailproxy.imap", "mailproxy.smtp", "mailproxy.wire"), t.get("mailproxy.server"));
        assertEquals(Set.of(), t.get("mailproxy.envelope"));
        assertEquals(Set.of(), t.get("mailproxy.sasl"));
        assertEquals(Set.of(), t.get("mailproxy.wire"));
        assertEquals(8, t.size());
    }

    @Test
    void aCellInAnotherFormIsAnError() {
        String doc = "## Packages\n| package | owns | may import |\n| `guard` | x | guard, the database |\n";
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> PackageTable.parse(doc, List.of()));
        assertTrue(e.getMessage().contains("'the database' is not a package of the table"), e.getMessage());
    }

    /** One line per reference the table does not allow: file, line, the name, and what is allowed. */
    static List<String> violations(Map<String, Set<String>> table, List<Reference> references) {
        List<String> out = new ArrayList<>();
        for (Reference r : references) {
            if (r.to() == null) continue;
            Set<String> allowed = table.get(r.from());
            if (allowed == null) {
                out.add(r.file() + ": package " + r.from() + " has no row in docs/ARCHITECTURE.md, \"Packages\"");
            } else if (allowed != PackageTable.EVERYTHING && !allowed.contains(r.to())) {
                out.add(r + ", but docs/ARCHITECTURE.md, \"Packages\" lets " + r.from() + " import only "
                        + new TreeSet<>(allowed));
            }
        }
        return out;
    }
}
