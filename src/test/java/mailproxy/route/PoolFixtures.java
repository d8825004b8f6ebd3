package mailproxy.route;

import java.time.Duration;
import java.util.function.LongSupplier;
import mailproxy.config.ConfigLoader;
import mailproxy.config.ProxyConfig;

/** Pools from config text, and a clock the test moves by hand. */
final class PoolFixtures {
    private PoolFixtures() {}

    /** mailproxy { backends { stores { BODY } } } */
    static ProxyConfig stores(String body) {
        return ConfigLoader.parse("mailproxy {\n backends { stores {\n" + body + "\n} }\n}", "pools.conf");
    }

    /** servers = [ { host = "10.0.0.1", weight = w1 }, ... ]: host i+1 has weight weights[i]. */
    static String servers(int... weights) {
        StringBuilder b = new StringBuilder("servers = [");
        for (int i = 0; i < weights.length; i++) {
            b.append(i == 0 ? " " : ", ").append("{ host = \"10.0.0.").append(i + 1).append("\", weight = ").append(weights[i]).append(" }");
        }
        return b.append(" ]\n").toString();
    }

    /** A clock that stands still until told to move (System.nanoTime scale). */
    static final class Clock implements LongSupplier {
        private long now = 1_000_000_000L;

        @Override
        public long getAsLong() { return now; }

        void advance(Duration d) { now += d.toNanos(); }
    }
}
