package plot;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * What one chart shows: which scenarios (the bar groups, plain then TLS), which figure of each
 * row, in which unit and with which number format on the bars.
 *
 * @param file        the SVG's name in the output folder
 * @param title       the chart's title; says whether higher or lower is better
 * @param unit        the value axis label
 * @param scenarios   the bench scenarios drawn, in this order (bench/README.md, "Scenarios")
 * @param figure      the figure of a row; below 0 means not measured, and no bar is drawn
 * @param labelFormat java.text.DecimalFormat pattern of the value written on each bar
 * @param note        what the figure is, under the title (bench/README.md, "The figures")
 */
record Chart(String file, String title, String unit, List<String> scenarios, ToDoubleFunction<Row> figure,
             String labelFormat, String note) {

    /** The per-session scenarios: a session is one login, a few commands and a logout. */
    static final List<String> SESSIONS = List.of("imap", "pop3", "smtp");

    /** The bench's charts; one is left out when the run has no row for it. */
    static final List<Chart> ALL = List.of(
            new Chart("sessions-per-second.svg", "Sessions per second (higher is better)", "sessions/s",
                    SESSIONS, Row::rate, "#,##0",
                    "closed loop: sessions back to back, each a login, a few commands and a logout"),
            new Chart("cpu-per-session.svg", "Proxy CPU per session (lower is better)", "CPU ms/session",
                    SESSIONS, Row::cpuMsPerSession, "0.00",
                    "user + system CPU of the proxy process per session; mailproxy's includes its JIT compiler "
                            + "threads (the report's \"of it JIT\"); direct has no proxy"),
            new Chart("bigfetch-mb-per-second.svg", "5 MB FETCH throughput (higher is better)", "MB/s",
                    List.of("bigfetch"), Row::mbPerSec, "#,##0",
                    "one logged-in IMAP session fetches a 5 MB message again and again"),
            new Chart("rss-per-idle-session.svg", "Proxy memory per idle session (lower is better)",
                    "RSS KB/session", List.of("idle"), Row::rssKbPerSession, "0.0",
                    "growth of the proxy's resident memory while the idle sessions log in, per session held"));

    private static final String LATENCY_NOTE = "a session from connect to close, as the load generator saw it";

    /** Latency is one chart of two panels, p50 above p99, over the per-session scenarios. */
    static final Chart P50 = new Chart("latency.svg", "Session latency (lower is better)", "p50 ms",
            SESSIONS, Row::p50ms, "0.0", LATENCY_NOTE);
    static final Chart P99 = new Chart("latency.svg", "Session latency (lower is better)", "p99 ms",
            SESSIONS, Row::p99ms, "0.0", LATENCY_NOTE);
}
