package plot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The run's date, machine and command for a chart's subtitle, from the machine.md beside results.tsv. */
final class RunFacts {
    private RunFacts() {}

    /** "2026-12-07 15:10 UTC · 2 CPUs (…) · bench/run.sh --quick", or "" when there is no machine.md. */
    static String subtitle(Path machineMd) throws IOException {
        if (!Files.isRegularFile(machineMd)) return "";
        List<String> parts = new ArrayList<>();
        for (String line : Files.readAllLines(machineMd)) {
            for (String key : List.of("date", "machine", "command")) {
                String prefix = "- " + key + ": ";
                if (line.startsWith(prefix)) parts.add(shorten(line.substring(prefix.length()).trim()));
            }
        }
        return String.join(" · ", parts);
    }

    /** "2 CPUs (AMD EPYC …), 24 GB RAM, kernel …": the CPUs and the memory are enough under a chart. */
    private static String shorten(String value) {
        int kernel = value.indexOf(", kernel ");
        return kernel > 0 ? value.substring(0, kernel) : value;
    }
}
