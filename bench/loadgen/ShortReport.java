package loadgen;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The short-connection table (issue 22): connect, tls-new-KEY, tls-resume-KEY; mailproxy's CPU
 * per connection beside nginx's, the ratio against the goal, and the share of TLS
 * connections that resumed (from the run's note).
 */
final class ShortReport {
    private static final Pattern RESUMED = Pattern.compile("resumed ([0-9.]+)%");

    private ShortReport() {}

    static String render(List<Result> rs) {
        Map<String, Map<String, Result>> by = new LinkedHashMap<>();
        for (Result r : rs) {
            if (!r.scenario().equals("connect") && !r.scenario().startsWith("tls-")) continue;
            by.computeIfAbsent(r.scenario(), k -> new LinkedHashMap<>()).put(r.target(), r);
        }
        if (by.isEmpty()) return "";
        List<String> rows = new ArrayList<>();
        for (var e : by.entrySet()) {
            Result mp = e.getValue().get("mailproxy");
            Result ng = e.getValue().get("nginx");
            if (mp == null && ng == null) continue;
            double mpCpu = mp == null ? -1 : mp.cpuMsPerSession();
            double mpWarm = mp == null || mp.jitMsPerSession() < 0 ? -1 : mp.cpuMsPerSession() - mp.jitMsPerSession();
            double ngCpu = ng == null ? -1 : ng.cpuMsPerSession();
            rows.add(String.join(" | ", "| " + e.getKey(), n(mpCpu), n(mpWarm), n(ngCpu), ratio(mpCpu, ngCpu),
                    ratio(mpWarm, ngCpu), "≤ " + goal(e.getKey()), resumed(mp) + " / " + resumed(ng)) + " |");
        }
        return "\nShort connections (issue 22): proxy CPU ms per connection (greeting, a LOGOUT, close; tls-*: "
                + "implicit TLS, tls-resume resuming the worker's previous session)\n\n"
                + "| scenario | mailproxy | without JIT | nginx | ÷ nginx | without JIT ÷ nginx | goal | resumed mailproxy / nginx |\n"
                + "|---|--:|--:|--:|--:|--:|--:|--:|\n" + String.join("\n", rows) + "\n";
    }

    /** The goals: plain ≤ 2×, a full handshake ≤ 1.3×, a resumed one ≤ 1.5× nginx. */
    private static String goal(String scenario) {
        if (scenario.startsWith("tls-new")) return "1.3";
        if (scenario.startsWith("tls-resume")) return "1.5";
        return "2";
    }

    private static String resumed(Result r) {
        if (r == null || !r.tls()) return "–";
        Matcher m = RESUMED.matcher(r.note());
        String share = m.find() ? m.group(1) + " %" : "?";
        return r.note().contains("FAILED") ? "**FAILED " + share + "**" : share;
    }

    private static String n(double v) {
        return v < 0 ? "–" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String ratio(double a, double b) {
        return a < 0 || b <= 0 ? "–" : String.format(Locale.ROOT, "%.2f", a / b);
    }
}
