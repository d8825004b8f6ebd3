package mailproxy.architecture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The "may import" column of docs/ARCHITECTURE.md, "Packages", read from the document
 * itself, so the rule the tests check and the rule a reader is told are one text. A row
 * names its packages in backticks in the first cell (several share a row: `imap`, `pop3`,
 * ...); its last cell lists packages by their last name, "the protocols" (every
 * mailproxy.&lt;id&gt; of config.Protocol), "everything", or nothing of ours; what is in
 * parentheses or after a dash is commentary; "; smtp also envelope" adds to one package of a
 * shared row. A cell in any other form fails, so the table cannot slip out of the checks.
 */
final class PackageTable {
    static final Path ARCHITECTURE = Path.of("docs/ARCHITECTURE.md");
    /** Stands for "everything": the package may import every package of ours. */
    static final Set<String> EVERYTHING = Set.of("*");

    private static final Pattern TICKED = Pattern.compile("`([a-z][a-z0-9.]*)`");
    private static final Pattern ALSO = Pattern.compile("([a-z0-9]+) also (.+)");

    private PackageTable() {}

    /** Package (mailproxy, mailproxy.imap, ...) → the packages it may import, from the document. */
    static Map<String, Set<String>> read(List<String> protocolPackages) throws IOException {
        return parse(Files.readString(ARCHITECTURE), protocolPackages);
    }

    static Map<String, Set<String>> parse(String markdown, List<String> protocolPackages) {
        List<String[]> rows = rows(markdown);
        Set<String> known = new TreeSet<>();
        for (String[] row : rows) known.addAll(packages(row[0]));
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (String[] row : rows) {
            String cell = row[2];
            List<String> own = packages(row[0]);
            String text = cell.replaceAll("\\([^)]*\\)", "").replaceAll("`", "");
            int dash = text.indexOf('—');
            if (dash >= 0) text = text.substring(0, dash);
            String[] parts = text.split(";");
            Set<String> common = names(parts[0], known, protocolPackages, cell);
            for (String p : own) {
                if (out.containsKey(p)) throw unreadable(row[0], p + " has a row already");
                out.put(p, common == EVERYTHING ? EVERYTHING : new TreeSet<>(common));
            }
            for (int i = 1; i < parts.length; i++) {
                Matcher also = ALSO.matcher(parts[i].strip());
                String pkg = also.matches() ? "mailproxy." + also.group(1) : null;
                if (pkg == null || !own.contains(pkg)) throw unreadable(cell, "'" + parts[i].strip() + "'");
                Set<String> more = names(also.group(2), known, protocolPackages, cell);
                if (more == EVERYTHING) throw unreadable(cell, "'also everything'");
                out.get(pkg).addAll(more);
            }
        }
        return out;
    }

    /** The table's rows below its header, as cells: package(s), owns, may import. */
    private static List<String[]> rows(String document) {
        String markdown = "\n" + document;
        int start = markdown.indexOf("\n## Packages\n");
        if (start < 0) throw new IllegalStateException(ARCHITECTURE + " has no section \"Packages\"");
        int end = markdown.indexOf("\n## ", start + 1);
        String section = markdown.substring(start, end < 0 ? markdown.length() : end);
        List<String[]> rows = new ArrayList<>();
        for (String line : section.split("\n")) {
            if (!line.startsWith("|") || line.startsWith("|---") || line.startsWith("| package ")) continue;
            String[] cells = line.substring(1, line.lastIndexOf('|')).split("\\|");
            if (cells.length != 3) throw unreadable(line, "a row of " + cells.length + " cells, not 3");
            for (int i = 0; i < cells.length; i++) cells[i] = cells[i].strip();
            rows.add(cells);
        }
        if (rows.isEmpty()) throw new IllegalStateException(ARCHITECTURE + ", \"Packages\" has no table");
        return rows;
    }

    private static List<String> packages(String firstCell) {
        List<String> out = new ArrayList<>();
        Matcher m = TICKED.matcher(firstCell);
        while (m.find()) out.add(m.group(1).equals("mailproxy") ? "mailproxy" : "mailproxy." + m.group(1));
        if (out.isEmpty()) throw unreadable(firstCell, "no package in backticks");
        return out;
    }

    private static Set<String> names(String list, Set<String> known, List<String> protocolPackages, String cell) {
        String l = list.strip();
        if (l.equals("everything")) return EVERYTHING;
        Set<String> out = new TreeSet<>();
        if (l.isEmpty()) return out;
        for (String item : l.split(",| and ")) {
            String name = item.strip();
            if (name.equals("the protocols")) {
                out.addAll(protocolPackages);
            } else if (known.contains("mailproxy." + name)) {
                out.add("mailproxy." + name);
            } else {
                throw unreadable(cell, "'" + name + "' is not a package of the table");
            }
        }
        return out;
    }

    private static IllegalStateException unreadable(String cell, String why) {
        return new IllegalStateException(ARCHITECTURE + ", \"Packages\": cannot read \"" + cell + "\": " + why);
    }
}
