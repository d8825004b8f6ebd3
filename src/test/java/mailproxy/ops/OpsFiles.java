package mailproxy.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mailproxy.testing.Procs;

/** The files under config/ the tests of this package check, and running the tools that check them. */
final class OpsFiles {
    /** A metric of ours in a query: not a recording rule's name (those have colons). */
    private static final Pattern METRIC = Pattern.compile("(?<![\\w:])mailproxy_[a-z0-9_]+(?![\\w:])");

    private OpsFiles() {}

    /** The project directory: surefire runs in it; an IDE may run in a subfolder. */
    static Path project() {
        for (Path d = Path.of(System.getProperty("user.dir")).toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("config/mailproxy.service"))) return d;
        }
        throw new IllegalStateException("no config/mailproxy.service above " + System.getProperty("user.dir"));
    }

    static Path config(String file) {
        return project().resolve("config").resolve(file);
    }

    /** How a command ended: its exit code and what it printed (stdout and stderr). */
    record Run(int exit, String output) {
        @Override
        public String toString() { return "exit " + exit + ":\n" + output; }
    }

    /**
     * Runs {@code cmd} in {@code dir}, bounded by a minute (Procs.run, which runs in this
     * JVM's directory: a shell changes it first).
     */
    static Run run(Path dir, String... cmd) throws IOException {
        Path out = Files.createTempFile("mailproxy-ops", ".out");
        try {
            List<String> inDir = List.of("sh", "-c", "cd \"$0\" && exec \"$@\"", dir.toString());
            String[] full = java.util.stream.Stream.concat(inDir.stream(), java.util.Arrays.stream(cmd)).toArray(String[]::new);
            int exit = Procs.run(out, Duration.ofMinutes(1), full);
            return new Run(exit, Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** The names of our metrics that {@code text} (PromQL, a rules file) mentions. */
    static Set<String> metricNames(String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC.matcher(text);
        while (m.find()) names.add(m.group());
        return names;
    }
}
