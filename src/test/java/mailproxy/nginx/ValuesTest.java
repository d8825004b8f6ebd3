package mailproxy.nginx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** nginx times and sizes (ngx_parse_time, ngx_parse_size) as HOCON durations and sizes. */
class ValuesTest {
    @ParameterizedTest
    @CsvSource({"60s, 1m", "60, 1m", "45, 45s", "24h, 1d", "1h30m, 90m", "1h 30m, 90m", "500ms, 500ms", "1500ms, 1500ms",
            "2m, 2m", "1w, 7d", "0, 0s", "5x, ", "s, ", "'', "})
    void times(String nginx, String hocon) {
        long ms = Values.millis(nginx);
        assertEquals(hocon == null ? "-1" : hocon, ms < 0 ? "-1" : Values.duration(ms));
    }

    @ParameterizedTest
    @CsvSource({"4k, 4k", "64K, 64k", "1m, 1m", "1024, 1k", "1000, 1000", "10485760, 10m", "12q, ", "k, "})
    void sizes(String nginx, String hocon) {
        long n = Values.bytes(nginx);
        assertEquals(hocon == null ? "-1" : hocon, n < 0 ? "-1" : Values.size(n));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"plain|\"plain\"", "a \"b\" \\ c|\"a \\\"b\\\" \\\\ c\"", "${x}|\"${x}\""})
    void quotedStringsAreLiteralInHocon(String in, String out) {
        assertEquals(out, Values.quote(in));
    }
}
