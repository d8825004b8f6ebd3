package loadgen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** One measured run: a TSV line in the results file. Unknown figures are -1. */
record Result(String scenario, boolean tls, String target, int concurrency, long sessions, double seconds,
              double rate, double p50ms, double p99ms, long errors, double mbPerSec,
              double cpuMsPerSession, double auxMsPerSession, double rssKbPerSession, double jitMsPerSession,
              String note) {

    static final String HEADER = "scenario\ttls\ttarget\tconcurrency\tsessions\tseconds\trate\tp50_ms\tp99_ms"
            + "\terrors\tmb_s\tcpu_ms_session\taux_ms_session\trss_kb_session\tjit_ms_session\tnote";

    String tsv() {
        return String.join("\t", scenario, tls ? "tls" : "plain", target, Integer.toString(concurrency),
                Long.toString(sessions), f(seconds), f(rate), f(p50ms), f(p99ms), Long.toString(errors),
                f(mbPerSec), f(cpuMsPerSession), f(auxMsPerSession), f(rssKbPerSession), f(jitMsPerSession),
                note.replace('\t', ' ').replace('\n', ' '));
    }

    static Result parse(String line) {
        String[] f = line.split("\t", -1);
        boolean withJit = f.length > 15; // files written before the JIT column have 15 fields
        return new Result(f[0], f[1].equals("tls"), f[2], Integer.parseInt(f[3]), Long.parseLong(f[4]),
                d(f[5]), d(f[6]), d(f[7]), d(f[8]), Long.parseLong(f[9]), d(f[10]), d(f[11]), d(f[12]),
                d(f[13]), withJit ? d(f[14]) : -1, withJit ? f[15] : f.length > 14 ? f[14] : "");
    }

    void append(java.nio.file.Path out) throws IOException {
        if (out == null) return;
        boolean fresh = !Files.exists(out) || Files.size(out) == 0;
        String text = (fresh ? HEADER + "\n" : "") + tsv() + "\n";
        Files.writeString(out, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    static List<Result> read(java.nio.file.Path in) throws IOException {
        return Files.readAllLines(in).stream().filter(l -> !l.isBlank() && !l.startsWith("scenario\t"))
                .map(Result::parse).toList();
    }

    /** p-th percentile (0..100) of the values, nearest rank; -1 if none. */
    static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) return -1;
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static long[] sorted(long[] v) {
        long[] c = v.clone();
        Arrays.sort(c);
        return c;
    }

    private static String f(double v) {
        return v < 0 ? "-1" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static double d(String s) {
        return Double.parseDouble(s);
    }
}
