package mailproxy.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mailproxy.testing.RealServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * config/grafana/mailproxy-dashboard.json: strict JSON, panels that tile the grid, and
 * queries that are PromQL (checked by the real promtool, Grafana's variables filled in as
 * Grafana would). That every metric it names exists is MetricNamesTest's.
 */
class GrafanaDashboardTest {
    static final Path DASHBOARD = OpsFiles.config("grafana/mailproxy-dashboard.json");
    private static final int GRID_WIDTH = 24;
    /** Grafana's own variables the queries may use, and what they become at query time. */
    private static final Map<String, String> GRAFANA_VARIABLES = Map.of("$__rate_interval", "5m");

    static Config dashboard() throws Exception {
        return ConfigFactory.parseString(Files.readString(DASHBOARD),
                ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON).setOriginDescription(DASHBOARD.toString()));
    }

    static List<String> expressions(Config d) {
        List<String> out = new ArrayList<>();
        for (Config p : d.getConfigList("panels")) {
            if (p.hasPath("targets")) for (Config t : p.getConfigList("targets")) out.add(t.getString("expr"));
        }
        return out;
    }

    static Set<String> variables(Config d) {
        Set<String> names = new TreeSet<>();
        for (Config v : d.getConfigList("templating.list")) names.add(v.getString("name"));
        return names;
    }

    @Test
    void panelsHaveUniqueIdsAndTileTheGrid() throws Exception {
        Config d = dashboard();
        assertEquals("mailproxy", d.getString("uid"));
        Set<Integer> ids = new HashSet<>();
        List<int[]> boxes = new ArrayList<>();
        for (Config p : d.getConfigList("panels")) {
            String title = p.getString("title");
            assertTrue(ids.add(p.getInt("id")), "id used twice: " + title);
            int x = p.getInt("gridPos.x"), y = p.getInt("gridPos.y"), w = p.getInt("gridPos.w"), h = p.getInt("gridPos.h");
            assertTrue(x >= 0 && w > 0 && h > 0 && x + w <= GRID_WIDTH, "off the grid: " + title);
            for (int[] b : boxes) {
                boolean apart = x + w <= b[0] || b[0] + b[2] <= x || y + h <= b[1] || b[1] + b[3] <= y;
                assertTrue(apart, title + " overlaps another panel");
            }
            boxes.add(new int[] {x, y, w, h});
            if (p.getString("type").equals("row")) continue;
            assertFalse(p.getString("description").isBlank(), "a panel says what it shows: " + title);
            assertEquals("${datasource}", p.getString("datasource.uid"), title);
            List<? extends Config> targets = p.getConfigList("targets");
            assertFalse(targets.isEmpty(), "a panel without a query: " + title);
            for (Config t : targets) assertEquals("${datasource}", t.getString("datasource.uid"), title);
        }
        assertTrue(boxes.size() > 10, "panels: " + boxes.size());
    }

    @Test
    void everyVariableAQueryUsesIsDefined() throws Exception {
        Config d = dashboard();
        Set<String> used = new TreeSet<>();
        for (String e : expressions(d)) {
            Matcher m = Pattern.compile("\\$(\\w+)").matcher(e);
            while (m.find()) if (!m.group(1).startsWith("__")) used.add(m.group(1));
        }
        used.removeAll(variables(d));
        assertEquals(Set.of(), used, "variables no one defines");
    }

    /** Each query becomes a recording rule of a scratch file, which promtool parses. */
    @Test
    void everyQueryIsPromQlThatPromtoolAccepts(@TempDir Path dir) throws Exception {
        RealServers.requireTool("/usr/bin/promtool");
        Config d = dashboard();
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        List<String> exprs = expressions(d);
        for (int i = 0; i < exprs.size(); i++) {
            String e = exprs.get(i);
            for (var v : GRAFANA_VARIABLES.entrySet()) e = e.replace(v.getKey(), v.getValue());
            for (String v : variables(d)) e = e.replace("$" + v, ".*"); // "All": the allValue
            assertFalse(e.contains("$"), "a variable left in " + e);
            rules.append("      - record: dashboard:query").append(i).append("\n        expr: |\n          ")
                    .append(e).append('\n');
        }
        Files.writeString(dir.resolve("dashboard.yml"), rules);
        OpsFiles.Run r = OpsFiles.run(dir, "/usr/bin/promtool", "check", "rules", "dashboard.yml");
        assertEquals(0, r.exit(), r + "\n" + rules);
        assertTrue(r.output().contains("SUCCESS: " + exprs.size() + " rules found"), r.toString());
    }
}
