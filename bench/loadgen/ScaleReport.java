package loadgen;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The scale scenario's own table: per target, RSS per held session at each checkpoint and
 * at N, and the login latency with none held, with N held and after their release; then
 * mailproxy's RSS per session ÷ nginx's and each target's p99 with ÷ without.
 */
final class ScaleReport {
    private ScaleReport() {}

    static String render(List<Result> rs) {
        StringBuilder b = new StringBuilder();
        for (boolean tls : new boolean[] {false, true}) {
            Map<String, Map<String, Result>> byTarget = new LinkedHashMap<>();
            TreeSet<Integer> holds = new TreeSet<>();
            int n = -1;
            for (Result r : rs) {
                if (r.tls() != tls || !r.scenario().startsWith("scale-")) continue;
                String phase = r.scenario().substring("scale-".length());
                byTarget.computeIfAbsent(r.target(), k -> new LinkedHashMap<>()).put(phase, r);
                if (phase.startsWith("hold-")) holds.add(Integer.parseInt(phase.substring(5)));
                if (phase.startsWith("login-") && phase.substring(6).matches("[0-9]+") && !phase.equals("login-0")) {
                    n = Integer.parseInt(phase.substring(6));
                }
            }
            if (byTarget.isEmpty() || n < 0) continue;
            holds.remove(n);
            b.append("\nScale (").append(tls ? "tls" : "plain").append("): login load of ")
                    .append(first(byTarget).concurrency()).append(" at once (connect, LOGIN, SELECT, LOGOUT) "
                            + "with no session held, then with ").append(String.format(Locale.ROOT, "%,d", n))
                    .append(" held (LOGIN, SELECT, idle), then after they closed. Control: a second instance of the same "
                            + "proxy, holding nothing, under the same login load at the same moment. Proxy CPU without "
                            + "the JIT's.\n\n| target | held");
            for (int k : holds) b.append(String.format(Locale.ROOT, " | RSS KB/session at %,d", k));
            b.append(String.format(Locale.ROOT, " | RSS KB/session at %,d", n));
            for (int k : holds) b.append(String.format(Locale.ROOT, " | RSS KB/session from %,d to %,d", k, n));
            b
                    .append(" | login p50 / p99 ms, none held | with them held | after release"
                            + " | p99 held ÷ none | p99 after ÷ before | p99 held ÷ none, against the control"
                            + " | proxy CPU ms/login, none → held | CPU held ÷ none, against the control | errors |\n|---|--:");
            b.append("|--:".repeat(2 * holds.size() + 10)).append("|\n");
            for (var e : byTarget.entrySet()) {
                Map<String, Result> m = e.getValue();
                Result top = m.get("hold-" + n);
                Result none = m.get("login-0");
                Result with = m.get("login-" + n);
                Result after = m.get("login-after");
                long errors = 0;
                for (Result r : m.values()) errors += r.errors();
                b.append("| ").append(e.getKey()).append(" | ").append(top == null ? "–" : String.format(Locale.ROOT, "%,d", top.sessions()));
                for (int k : holds) b.append(" | ").append(rss(m.get("hold-" + k)));
                b.append(" | ").append(rss(top));
                for (int k : holds) b.append(" | ").append(marginal(m.get("hold-" + k), top));
                b
                        .append(" | ").append(lat(none)).append(" | ").append(lat(with)).append(" | ").append(lat(after))
                        .append(" | ").append(ratio(with, none)).append(" | ").append(ratio(after, none))
                        .append(" | ").append(controlled(with, m.get("control-" + n), none, m.get("control-0")))
                        .append(" | ").append(none == null || none.cpuMsPerSession() < 0 ? "–" : cpu(none) + " → " + cpu(with))
                        .append(" | ").append(cpuControlled(with, m.get("control-" + n), none, m.get("control-0")))
                        .append(" | ").append(errors).append(" |\n");
            }
            Map<String, Result> mp = byTarget.get("mailproxy");
            Map<String, Result> ng = byTarget.get("nginx");
            if (mp != null && ng != null) {
                List<String> parts = new ArrayList<>();
                for (int k : holds) parts.add(rssRatio(mp.get("hold-" + k), ng.get("hold-" + k), k));
                parts.add(rssRatio(mp.get("hold-" + n), ng.get("hold-" + n), n));
                for (int k : holds) {
                    double a = marginalKb(mp.get("hold-" + k), mp.get("hold-" + n));
                    double c = marginalKb(ng.get("hold-" + k), ng.get("hold-" + n));
                    parts.add(String.format(Locale.ROOT, "%s from %,d to %,d",
                            a < 0 || c <= 0 ? "–" : String.format(Locale.ROOT, "%.2f", a / c), k, n));
                }
                b.append("\nmailproxy ÷ nginx, RSS per held session: ").append(String.join(", ", parts))
                        .append(" (target ≤ 1). p99 with them held ÷ without: mailproxy ")
                        .append(ratio(mp.get("login-" + n), mp.get("login-0"))).append(", nginx ")
                        .append(ratio(ng.get("login-" + n), ng.get("login-0"))).append("; against the control: mailproxy ")
                        .append(controlled(mp.get("login-" + n), mp.get("control-" + n), mp.get("login-0"), mp.get("control-0")))
                        .append(", nginx ")
                        .append(controlled(ng.get("login-" + n), ng.get("control-" + n), ng.get("login-0"), ng.get("control-0")))
                        .append(" (target ≤ 1.10). Proxy CPU per login, held ÷ none, against the control: mailproxy ")
                        .append(cpuControlled(mp.get("login-" + n), mp.get("control-" + n), mp.get("login-0"), mp.get("control-0")))
                        .append(", nginx ")
                        .append(cpuControlled(ng.get("login-" + n), ng.get("control-" + n), ng.get("login-0"), ng.get("control-0")))
                        .append(".\n");
            }
        }
        return b.toString();
    }

    /** (target ÷ control) at the same moment with them held, over the same with none held. */
    private static String controlled(Result with, Result ctlWith, Result none, Result ctlNone) {
        if (with == null || ctlWith == null || none == null || ctlNone == null || ctlWith.p99ms() <= 0
                || none.p99ms() <= 0 || ctlNone.p99ms() <= 0) {
            return "–";
        }
        return String.format(Locale.ROOT, "%.2f", with.p99ms() / ctlWith.p99ms() / (none.p99ms() / ctlNone.p99ms()));
    }

    /** The proxy's CPU per login without its JIT compiler threads (a warm-up cost). */
    private static String cpu(Result r) {
        return r == null || r.cpuMsPerSession() < 0 ? "–" : String.format(Locale.ROOT, "%.2f", cpuMs(r));
    }

    private static double cpuMs(Result r) {
        return r.cpuMsPerSession() - Math.max(0, r.jitMsPerSession());
    }

    /** The same as {@link #controlled} for the proxy's CPU per login (without the JIT's). */
    private static String cpuControlled(Result with, Result ctlWith, Result none, Result ctlNone) {
        for (Result r : new Result[] {with, ctlWith, none, ctlNone}) {
            if (r == null || r.cpuMsPerSession() < 0 || cpuMs(r) <= 0) return "–";
        }
        return String.format(Locale.ROOT, "%.2f", cpuMs(with) / cpuMs(ctlWith) / (cpuMs(none) / cpuMs(ctlNone)));
    }

    private static Result first(Map<String, Map<String, Result>> m) {
        return m.values().iterator().next().values().iterator().next();
    }

    private static String rss(Result r) {
        return r == null || r.rssKbPerSession() < 0 ? "–" : String.format(Locale.ROOT, "%.1f", r.rssKbPerSession());
    }

    /**
     * RSS growth per session between two points of the ramp: the baseline cancels out. A
     * JVM's baseline moves by tens of MB with what its heap grew to before the ramp; the RSS
     * at each point moves much less, so this is the steadier figure.
     */
    private static double marginalKb(Result from, Result to) {
        if (from == null || to == null || from.rssKbPerSession() < 0 || to.rssKbPerSession() < 0
                || to.sessions() <= from.sessions()) {
            return -1;
        }
        return (to.rssKbPerSession() * to.sessions() - from.rssKbPerSession() * from.sessions())
                / (to.sessions() - from.sessions());
    }

    private static String marginal(Result from, Result to) {
        double v = marginalKb(from, to);
        return v < 0 ? "–" : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String lat(Result r) {
        return r == null ? "–" : String.format(Locale.ROOT, "%.1f / %.1f", r.p50ms(), r.p99ms());
    }

    private static String ratio(Result a, Result b) {
        return a == null || b == null || b.p99ms() <= 0 ? "–" : String.format(Locale.ROOT, "%.2f", a.p99ms() / b.p99ms());
    }

    private static String rssRatio(Result a, Result b, int k) {
        String v = a == null || b == null || a.rssKbPerSession() < 0 || b.rssKbPerSession() <= 0 ? "–"
                : String.format(Locale.ROOT, "%.2f", a.rssKbPerSession() / b.rssKbPerSession());
        return String.format(Locale.ROOT, "%s at %,d", v, k);
    }
}
