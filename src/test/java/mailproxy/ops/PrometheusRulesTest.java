package mailproxy.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mailproxy.testing.RealServers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * config/prometheus/mailproxy-alerts.yml through the real promtool (Debian's prometheus
 * package): the rules parse, and its unit tests (mailproxy-alerts.test.yml) show every
 * alert firing on the series that should fire it and not on healthy ones. That the metric
 * names exist is MetricNamesTest's.
 */
class PrometheusRulesTest {
    private static final String PROMTOOL = "/usr/bin/promtool";
    private static final Path RULES = OpsFiles.config("prometheus/mailproxy-alerts.yml");
    private static final Path RULE_TESTS = OpsFiles.config("prometheus/mailproxy-alerts.test.yml");

    @BeforeAll
    static void promtool() throws Exception {
        RealServers.requireTool(PROMTOOL);
    }

    static List<String> alertNames() throws Exception {
        List<String> names = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\s*- alert: (\\w+)$").matcher(Files.readString(RULES));
        while (m.find()) names.add(m.group(1));
        return names;
    }

    @Test
    void promtoolAcceptsTheRules() throws Exception {
        OpsFiles.Run r = OpsFiles.run(RULES.getParent(), PROMTOOL, "check", "rules", RULES.getFileName().toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.output().contains("SUCCESS: " + alertNames().size() + " rules found"), r.toString());
    }

    @Test
    void everyAlertFiresOnItsSeriesAndNotOnHealthyOnes() throws Exception {
        OpsFiles.Run r = OpsFiles.run(RULE_TESTS.getParent(), PROMTOOL, "test", "rules", RULE_TESTS.getFileName().toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.output().contains("SUCCESS"), r.toString());
    }

    /**
     * Each alert has a test where it fires (exp_labels) and one where it must not yet
     * (exp_alerts: [], before its for: has passed); the firing ones list only instance
     * "bad", so the healthy series beside it are checked there too.
     */
    @Test
    void everyAlertHasATestThatFiresAndOneThatDoesNot() throws Exception {
        Set<String> fires = new TreeSet<>();
        Set<String> quiet = new TreeSet<>();
        String[] evals = Files.readString(RULE_TESTS).split("- eval_time: ");
        for (int i = 1; i < evals.length; i++) {
            Matcher m = Pattern.compile("alertname: (\\w+)").matcher(evals[i]);
            assertTrue(m.find(), evals[i]);
            if (evals[i].contains("exp_alerts: []")) quiet.add(m.group(1));
            if (evals[i].contains("exp_labels:")) {
                fires.add(m.group(1));
                assertTrue(evals[i].contains("instance: bad") && !evals[i].contains("instance: good"), evals[i]);
            }
        }
        assertEquals(new TreeSet<>(alertNames()), fires, "alerts with a firing test");
        assertEquals(new TreeSet<>(alertNames()), quiet, "alerts with a test where they stay quiet");
    }

    /** The unit tests can fail: with a pool alert that ignores the servers, they do. */
    @Test
    void aBrokenRuleFailsItsUnitTest(@TempDir Path dir) throws Exception {
        String rules = Files.readString(RULES);
        String broken = rules.replace("max by (instance, pool, protocol) (mailproxy_backend_up) == 0",
                "min by (instance, pool, protocol) (mailproxy_backend_up) == 0");
        assertNotEquals(rules, broken, "the pool rule as this test knows it");
        Files.writeString(dir.resolve(RULES.getFileName()), broken);
        Files.copy(RULE_TESTS, dir.resolve(RULE_TESTS.getFileName()));
        OpsFiles.Run r = OpsFiles.run(dir, PROMTOOL, "test", "rules", RULE_TESTS.getFileName().toString());
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.output().contains("alertname: MailproxyPoolDown"), r.toString());
    }
}
