package plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.CombinedDomainCategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;

/** Grouped bar charts: one group per scenario/TLS variant, one bar per target, its value on it. */
final class Draw {
    /** The bench's targets in the report's order (bench/loadgen/Report.java); others after them. */
    static final List<String> TARGETS = List.of("direct", "mailproxy", "nginx", "nginx-64k");

    /** One colour per target in every chart: mailproxy blue, nginx greens, direct (no proxy) grey. */
    private static final Map<String, Color> COLOURS = Map.of(
            "direct", new Color(0x9e9e9e), "mailproxy", new Color(0x1f77b4),
            "nginx", new Color(0x2ca02c), "nginx-64k", new Color(0x98df8a));
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 10);
    private static final Font NOTE = new Font(Font.SANS_SERIF, Font.ITALIC, 11);
    private static final Color GRID = new Color(0xdddddd);

    private Draw() {}

    /** The bars of a chart, or null when the run has no figure for it. */
    static DefaultCategoryDataset dataset(List<Row> rows, Chart chart) {
        DefaultCategoryDataset ds = new DefaultCategoryDataset();
        List<String> targets = new ArrayList<>(TARGETS);
        for (Row r : rows) if (!targets.contains(r.target())) targets.add(r.target());
        boolean any = false;
        for (String tls : List.of("plain", "tls")) {
            for (String scenario : chart.scenarios()) {
                for (String target : targets) {
                    for (Row r : rows) {
                        double v = chart.figure().applyAsDouble(r);
                        if (r.scenario().equals(scenario) && r.tls().equals(tls) && r.target().equals(target) && v >= 0) {
                            ds.addValue(v, target, r.variant());
                            any = true;
                        }
                    }
                }
            }
        }
        return any ? ds : null;
    }

    static JFreeChart bars(Chart chart, DefaultCategoryDataset ds, String subtitle) {
        JFreeChart c = new JFreeChart(chart.title(), JFreeChart.DEFAULT_TITLE_FONT, plot(chart, ds), true);
        return styled(c, subtitle, chart.note());
    }

    /** Two panels over the same groups, p50 above p99, each with its own scale; one legend. */
    static JFreeChart twoPanels(Chart top, DefaultCategoryDataset topData, Chart bottom,
                                DefaultCategoryDataset bottomData, String subtitle) {
        CombinedDomainCategoryPlot both = new CombinedDomainCategoryPlot(categoryAxis());
        CategoryPlot upper = plot(top, topData);
        both.add(upper, 1);
        both.add(plot(bottom, bottomData), 1);
        both.setGap(14);
        // each panel's legend would repeat the targets: the upper one's, once
        LegendItemCollection legend = upper.getLegendItems();
        both.setFixedLegendItems(legend);
        JFreeChart c = new JFreeChart(top.title(), JFreeChart.DEFAULT_TITLE_FONT, both, true);
        return styled(c, subtitle, top.note());
    }

    private static CategoryPlot plot(Chart chart, DefaultCategoryDataset ds) {
        NumberAxis values = new NumberAxis(chart.unit());
        values.setUpperMargin(0.12); // room for the value written above the highest bar
        BarRenderer bars = new BarRenderer();
        bars.setBarPainter(new StandardBarPainter());
        bars.setShadowVisible(false);
        bars.setItemMargin(0.04);
        bars.setDrawBarOutline(false);
        for (int i = 0; i < ds.getRowCount(); i++) {
            Paint p = COLOURS.get((String) ds.getRowKey(i));
            if (p != null) bars.setSeriesPaint(i, p);
        }
        bars.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}",
                new DecimalFormat(chart.labelFormat(), DecimalFormatSymbols.getInstance(Locale.ROOT))));
        bars.setDefaultItemLabelsVisible(true);
        bars.setDefaultItemLabelFont(LABEL);
        bars.setDefaultPositiveItemLabelPosition(
                new ItemLabelPosition(ItemLabelAnchor.OUTSIDE12, TextAnchor.BOTTOM_CENTER));
        CategoryPlot plot = new CategoryPlot(ds, categoryAxis(), values, bars);
        plot.setOrientation(PlotOrientation.VERTICAL);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setOutlineVisible(false);
        plot.setRangeGridlinePaint(GRID);
        plot.setRangeGridlineStroke(new BasicStroke(1f));
        return plot;
    }

    private static CategoryAxis categoryAxis() {
        CategoryAxis a = new CategoryAxis();
        a.setCategoryMargin(0.2);
        a.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        return a;
    }

    /** The note and the run's facts under the title, the legend under them. */
    private static JFreeChart styled(JFreeChart c, String subtitle, String note) {
        c.setBackgroundPaint(Color.WHITE);
        c.addSubtitle(0, new TextTitle(note, NOTE));
        if (!subtitle.isEmpty()) c.addSubtitle(1, new TextTitle(subtitle, LABEL));
        LegendTitle legend = c.getLegend();
        legend.setPosition(RectangleEdge.TOP);
        legend.setFrame(org.jfree.chart.block.BlockBorder.NONE);
        return c;
    }
}
