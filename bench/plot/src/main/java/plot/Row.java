package plot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One line of the bench's results.tsv (written by bench/loadgen's Result). Columns are read by
 * their header name, so a column added to the TSV later does not shift these; a figure the
 * bench did not measure is -1 there and here.
 */
record Row(String scenario, String tls, String target, double rate, double p50ms, double p99ms,
           double cpuMsPerSession, double jitMsPerSession, double mbPerSec, double rssKbPerSession) {

    /** "imap/plain": the category a row is drawn in. */
    String variant() {
        return scenario + "/" + tls;
    }

    /**
     * The rows of a results TSV. A rerun of the same scenario, TLS variant and target replaces
     * the earlier line, as in the report's table (bench/README.md, "The load generator alone").
     */
    static List<Row> read(Path tsv) throws IOException {
        List<String> lines = Files.readAllLines(tsv);
        if (lines.isEmpty()) throw new IOException(tsv + ": empty, no header line");
        String[] header = lines.get(0).split("\t", -1);
        Map<String, Integer> col = new LinkedHashMap<>();
        for (int i = 0; i < header.length; i++) col.put(header[i], i);
        for (String needed : List.of("scenario", "tls", "target")) {
            if (!col.containsKey(needed)) throw new IOException(tsv + ": no column '" + needed + "' in its header");
        }
        Map<String, Row> rows = new LinkedHashMap<>();
        for (int n = 1; n < lines.size(); n++) {
            String line = lines.get(n);
            if (line.isBlank()) continue;
            String[] f = line.split("\t", -1);
            Row r = new Row(text(f, col, "scenario"), text(f, col, "tls"), text(f, col, "target"),
                    number(f, col, "rate"), number(f, col, "p50_ms"), number(f, col, "p99_ms"),
                    number(f, col, "cpu_ms_session"), number(f, col, "jit_ms_session"),
                    number(f, col, "mb_s"), number(f, col, "rss_kb_session"));
            rows.remove(r.variant() + " " + r.target()); // the rerun goes last, like a new line
            rows.put(r.variant() + " " + r.target(), r);
        }
        return new ArrayList<>(rows.values());
    }

    private static String text(String[] f, Map<String, Integer> col, String name) {
        Integer i = col.get(name);
        return i == null || i >= f.length ? "" : f[i];
    }

    private static double number(String[] f, Map<String, Integer> col, String name) {
        String s = text(f, col, name);
        if (s.isEmpty()) return -1;
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
