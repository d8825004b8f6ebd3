package plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A small fixed results.tsv, as bench/loadgen writes it, turned into the charts. */
class PlotTest {
    private static final String HEADER = "scenario\ttls\ttarget\tconcurrency\tsessions\tseconds\trate\tp50_ms\tp99_ms"
            + "\terrors\tmb_s\tcpu_ms_session\taux_ms_session\trss_kb_session\tjit_ms_session\tnote";

    @TempDir Path dir;

    private static String row(String scenario, String tls, String target, double rate, double p50, double p99,
                              double mbs, double cpu, double rss) {
        return String.join("\t", scenario, tls, target, "16", "1000", "3.000", Double.toString(rate),
                Double.toString(p50), Double.toString(p99), "0", Double.toString(mbs), Double.toString(cpu),
                "-1", Double.toString(rss), "-1", "");
    }

    private Path results(String... rows) throws IOException {
        Path tsv = dir.resolve("results.tsv");
        Files.writeString(tsv, HEADER + "\n" + String.join("\n", rows) + "\n");
        Files.writeString(dir.resolve("machine.md"), "- date: 2026-12-07 15:00 UTC\n"
                + "- machine: 2 CPUs (Test CPU), 24 GB RAM, kernel 6.1, open files 20000/20000\n"
                + "- command: bench/run.sh --quick\n");
        return tsv;
    }

    private String svg(String name) throws Exception {
        Path file = dir.resolve(name);
        DocumentBuilderFactory xml = DocumentBuilderFactory.newInstance();
        // the SVG 1.1 DOCTYPE names the W3C's DTD: well-formed is enough, nothing is fetched
        xml.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        xml.newDocumentBuilder().parse(file.toFile());
        return Files.readString(file);
    }

    @Test
    void perSessionFiguresBecomeBarsPerTargetAndVariant() throws Exception {
        List<Path> written = Plot.write(results(
                row("imap", "plain", "direct", 4321, 3.5, 9.25, -1, -1, -1),
                row("imap", "plain", "mailproxy", 1234, 4.5, 12.5, -1, 1.586, -1),
                row("imap", "plain", "nginx", 2345, 4.0, 11.0, -1, 0.588, -1),
                row("pop3", "tls", "mailproxy", 321, 20.0, 55.5, -1, 6.961, -1)), dir);

        assertEquals(List.of("sessions-per-second.svg", "cpu-per-session.svg", "latency.svg", "charts.md"),
                written.stream().map(p -> p.getFileName().toString()).toList(), "no bigfetch or idle rows: no such chart");

        String sessions = svg("sessions-per-second.svg");
        for (String legend : List.of(">direct</text>", ">mailproxy</text>", ">nginx</text>")) {
            assertTrue(sessions.contains(legend), legend);
        }
        for (String groupAndValue : List.of(">imap/plain</text>", ">pop3/tls</text>", ">1,234</text>", ">4,321</text>")) {
            assertTrue(sessions.contains(groupAndValue), groupAndValue);
        }
        assertTrue(sessions.contains("bench/run.sh --quick"), "the run's command under the title");

        String cpu = svg("cpu-per-session.svg");
        assertTrue(cpu.contains(">1.59</text>") && cpu.contains(">0.59</text>"), "CPU ms on the bars");
        assertFalse(cpu.contains(">direct</text>"), "direct has no proxy CPU (-1): no bar, not in the legend");
        assertTrue(cpu.contains("JIT compiler threads"), "what the figure is, under the title");

        String latency = svg("latency.svg");
        assertTrue(latency.contains(">p50 ms</text>") && latency.contains(">p99 ms</text>"), "two panels");
        assertTrue(latency.contains(">12.5</text>") && latency.contains(">55.5</text>"), "p99 on the bars");
        assertEquals(1, count(latency, ">mailproxy</text>"), "one legend for both panels");

        assertEquals("""
                ## Charts

                ![Sessions per second (higher is better)](sessions-per-second.svg)

                ![Proxy CPU per session (lower is better)](cpu-per-session.svg)

                ![Session latency (lower is better)](latency.svg)

                """, Files.readString(dir.resolve("charts.md")));
    }

    @Test
    void bulkAndIdleHaveTheirOwnChartsAndScaleRowsAreLeftToTheTable() throws Exception {
        Plot.write(results(
                row("bigfetch", "plain", "mailproxy", 77, 60, 70, 387.4, -1, -1),
                row("bigfetch", "plain", "nginx-64k", 70, 65, 75, 358.0, -1, -1),
                row("idle", "plain", "mailproxy", 900, 5, 9, -1, 1.2, 7.2),
                row("idle", "plain", "nginx", 950, 5, 9, -1, 0.9, 9.5),
                row("scale-login-0", "plain", "mailproxy", 800, 5, 9, -1, 1.1, -1)), dir);

        String bulk = svg("bigfetch-mb-per-second.svg");
        assertTrue(bulk.contains(">387</text>") && bulk.contains(">nginx-64k</text>"), "MB/s per target");
        String idle = svg("rss-per-idle-session.svg");
        assertTrue(idle.contains(">7.2</text>") && idle.contains(">9.5</text>"), "RSS KB per idle session");
        assertFalse(Files.exists(dir.resolve("sessions-per-second.svg")), "idle's login rate is not a session rate");
        for (String name : List.of("bigfetch-mb-per-second.svg", "rss-per-idle-session.svg")) {
            assertFalse(svg(name).contains("scale-"), name);
        }
    }

    @Test
    void aRerunOfTheSamePairReplacesTheEarlierLine() throws Exception {
        Plot.write(results(
                row("smtp", "plain", "mailproxy", 111, 1, 2, -1, 1.0, -1),
                row("smtp", "plain", "mailproxy", 999, 1, 2, -1, 1.0, -1)), dir);

        String sessions = svg("sessions-per-second.svg");
        assertTrue(sessions.contains(">999</text>"));
        assertFalse(sessions.contains(">111</text>"));
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) n++;
        return n;
    }
}
