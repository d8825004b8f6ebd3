package loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Markdown tables from a results TSV: all figures, then mailproxy's ratios to nginx and direct. */
final class Report {
    private static final List<String> TARGETS = List.of("direct", "mailproxy", "nginx", "nginx-64k");
    private static final List<String> SCENARIOS = List.of("imap", "pop3", "smtp", "bigfetch", "idle", "connect");

    private Report() {}

    static void main(String[] args) throws IOException {
        List<Result> rs = Result.read(Path.of(args[1]));
        String md = render(rs);
        System.out.print(md);
        if (args.length > 2) Files.writeString(Path.of(args[2]), md);
    }

    static String render(List<Result> rs) {
        Map<String, Map<String, Result>> by = new LinkedHashMap<>();
        for (String sc : SCENARIOS) {
            for (String tls : List.of("plain", "tls")) by.put(sc + "/" + tls, new LinkedHashMap<>());
        }
        for (Result r : rs) {
            by.computeIfAbsent(r.scenario() + "/" + (r.tls() ? "tls" : "plain"), k -> new LinkedHashMap<>())
                    .put(r.target(), r); // a rerun of the same pair replaces the earlier line
        }
        StringBuilder b = new StringBuilder();
        b.append("| scenario | target | sessions/s | p50 ms | p99 ms | proxy CPU ms/session | of it JIT "
                + "| auth_http CPU ms/session | RSS KB/idle session | MB/s | errors | sessions |\n");
        b.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        for (var e : by.entrySet()) {
            for (String t : ordered(e.getValue())) {
                Result r = e.getValue().get(t);
                b.append("| ").append(e.getKey()).append(" | ").append(t)
                        .append(" | ").append(n(r.rate(), 0))
                        .append(" | ").append(n(r.p50ms(), 2))
                        .append(" | ").append(n(r.p99ms(), 2))
                        .append(" | ").append(n(r.cpuMsPerSession(), 3))
                        .append(" | ").append(n(r.jitMsPerSession(), 3))
                        .append(" | ").append(n(r.auxMsPerSession(), 3))
                        .append(" | ").append(n(r.rssKbPerSession(), 1))
                        .append(" | ").append(n(r.mbPerSec(), 0))
                        .append(" | ").append(r.errors())
                        .append(" | ").append(r.sessions()).append(" |\n");
            }
        }
        b.append("\nbigfetch: one \"session\" is one 5 MB FETCH on a logged-in session; idle: sessions/s and "
                + "latency are for logging in (LOGIN + SELECT), CPU is the login cost, RSS the delta per held session at the end of the hold; "
                + "scale-login-*: the scale scenario's login load (LOGIN, SELECT, LOGOUT) with 0 / N sessions held and "
                + "after their release, scale-control-*: the same load at the same moment on a second instance of the "
                + "proxy that holds nothing, scale-hold-K: its ramp up to K held sessions (RSS growth per session at K). "
                + "\"of it JIT\": CPU of the JVM's JIT compiler threads (a warm-up cost a long-running proxy stops paying).\n");
        b.append("\nRatios (mailproxy ÷ other; sessions/s and MB/s: higher is better for mailproxy, CPU and RSS: lower is)\n\n");
        b.append("| scenario | sessions/s ÷ nginx | sessions/s ÷ direct | CPU ÷ nginx | CPU without JIT ÷ nginx "
                + "| CPU ÷ (nginx + auth_http) | MB/s ÷ nginx | MB/s ÷ nginx-64k | MB/s ÷ direct | RSS/session ÷ nginx |\n");
        b.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        for (var e : by.entrySet()) {
            Result mp = e.getValue().get("mailproxy");
            if (mp == null) continue;
            Result ng = e.getValue().get("nginx");
            Result ng64 = e.getValue().get("nginx-64k");
            Result d = e.getValue().get("direct");
            b.append("| ").append(e.getKey())
                    .append(" | ").append(ratio(mp.rate(), ng == null ? -1 : ng.rate()))
                    .append(" | ").append(ratio(mp.rate(), d == null ? -1 : d.rate()))
                    .append(" | ").append(ratio(mp.cpuMsPerSession(), ng == null ? -1 : ng.cpuMsPerSession()))
                    .append(" | ").append(ratio(mp.jitMsPerSession() < 0 ? -1 : mp.cpuMsPerSession() - mp.jitMsPerSession(),
                            ng == null ? -1 : ng.cpuMsPerSession()))
                    .append(" | ").append(ratio(mp.cpuMsPerSession(), ng == null || ng.auxMsPerSession() < 0 ? -1
                            : ng.cpuMsPerSession() + ng.auxMsPerSession()))
                    .append(" | ").append(ratio(mp.mbPerSec(), ng == null ? -1 : ng.mbPerSec()))
                    .append(" | ").append(ratio(mp.mbPerSec(), ng64 == null ? -1 : ng64.mbPerSec()))
                    .append(" | ").append(ratio(mp.mbPerSec(), d == null ? -1 : d.mbPerSec()))
                    .append(" | ").append(ratio(mp.rssKbPerSession(), ng == null ? -1 : ng.rssKbPerSession()))
                    .append(" |\n");
        }
        b.append(ScaleReport.render(rs));
        b.append(ShortReport.render(rs));
        List<String> notes = new ArrayList<>();
        for (Result r : rs) {
            if (!r.note().isEmpty()) notes.add("- " + r.scenario() + "/" + (r.tls() ? "tls" : "plain") + " " + r.target() + ": " + r.note());
        }
        if (!notes.isEmpty()) b.append("\nNotes\n\n").append(String.join("\n", notes)).append("\n");
        return b.toString();
    }

    private static List<String> ordered(Map<String, Result> m) {
        List<String> out = new ArrayList<>();
        for (String t : TARGETS) if (m.containsKey(t)) out.add(t);
        for (String t : m.keySet()) if (!out.contains(t)) out.add(t);
        return out;
    }

    private static String n(double v, int decimals) {
        return v < 0 ? "–" : String.format(Locale.ROOT, "%,." + decimals + "f", v);
    }

    private static String ratio(double a, double b) {
        return a < 0 || b <= 0 ? "–" : String.format(Locale.ROOT, "%.2f", a / b);
    }
}
