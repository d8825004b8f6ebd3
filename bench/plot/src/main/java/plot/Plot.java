package plot;

import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.text.TextUtils;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.svg.SVGGraphics2D;

/**
 * SVG charts from a bench run: {@code java -jar bench-plot.jar RESULTS.tsv [OUT_DIR]} reads the
 * results.tsv that bench/run.sh wrote, and writes beside it (or into OUT_DIR) one SVG per figure
 * (bench/README.md, "Charts") and charts.md, the Markdown that shows them, which run.sh appends
 * to report.md. A chart the run has no figure for is not written.
 */
public final class Plot {
    private static final int WIDTH = 960;
    private static final int HEIGHT = 480;

    private Plot() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: java -jar bench-plot.jar RESULTS.tsv [OUT_DIR]");
            System.exit(2);
        }
        Path tsv = Path.of(args[0]);
        Path out = args.length > 1 ? Path.of(args[1]) : tsv.toAbsolutePath().getParent();
        for (Path p : write(tsv, out)) System.out.println(p);
    }

    /** Writes the charts and charts.md; returns the files written. */
    static List<Path> write(Path tsv, Path outDir) throws IOException {
        List<Row> rows = Row.read(tsv);
        String subtitle = RunFacts.subtitle(tsv.toAbsolutePath().getParent().resolve("machine.md"));
        Files.createDirectories(outDir);
        List<Path> written = new ArrayList<>();
        StringBuilder md = new StringBuilder("## Charts\n\n");
        for (Chart chart : List.of(Chart.ALL.get(0), Chart.ALL.get(1))) {
            add(chart, rows, subtitle, outDir, written, md);
        }
        DefaultCategoryDataset p50 = Draw.dataset(rows, Chart.P50);
        DefaultCategoryDataset p99 = Draw.dataset(rows, Chart.P99);
        if (p50 != null && p99 != null) {
            written.add(svg(Draw.twoPanels(Chart.P50, p50, Chart.P99, p99, subtitle), HEIGHT * 3 / 2,
                    outDir.resolve(Chart.P50.file())));
            md.append(image(Chart.P50));
        }
        for (Chart chart : Chart.ALL.subList(2, Chart.ALL.size())) add(chart, rows, subtitle, outDir, written, md);
        if (!written.isEmpty()) {
            Path charts = outDir.resolve("charts.md");
            Files.writeString(charts, md.toString());
            written.add(charts);
        }
        return written;
    }

    private static void add(Chart chart, List<Row> rows, String subtitle, Path outDir, List<Path> written,
                            StringBuilder md) throws IOException {
        DefaultCategoryDataset ds = Draw.dataset(rows, chart);
        if (ds == null) return;
        written.add(svg(Draw.bars(chart, ds, subtitle), HEIGHT, outDir.resolve(chart.file())));
        md.append(image(chart));
    }

    private static String image(Chart chart) {
        return "![" + chart.title() + "](" + chart.file() + ")\n\n";
    }

    private static Path svg(JFreeChart chart, int height, Path file) throws IOException {
        // rotated text (the value axis label) as a <text> element with a rotation, not as
        // glyph outlines through java.awt.font.TextLayout: the SVG stays text, as the rest
        TextUtils.setUseDrawRotatedStringWorkaround(false);
        SVGGraphics2D g = new SVGGraphics2D(WIDTH, height);
        // fixed ids in the SVG's defs (clip paths), not a time-based prefix: a rerun on the same
        // figures writes the same file, so a committed chart changes only when its figures do
        g.setDefsKeyPrefix("bench");
        chart.draw(g, new Rectangle2D.Double(0, 0, WIDTH, height));
        Files.writeString(file, g.getSVGDocument());
        return file;
    }
}
