package mailproxy.session;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The audit line's {@code time=}: exactly what {@link Instant#toString()} writes (ISO-8601
 * in UTC, the fraction in groups of three digits as needed), with the part up to the
 * seconds made once per second rather than per line. Instant.toString goes through
 * DateTimeFormatter each time, about 1 % of a plain login session's CPU (bench/RESULTS.md,
 * "Issue 22 ... third pass").
 */
final class AuditTime {
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);
    /** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: outside, Instant.toString adds a sign or more digits. */
    private static final long FIRST = -62167219200L, LAST = 253402300799L;

    /** The last second formatted, and its text: replaced as a whole, read by any thread. */
    private record Second(long epochSecond, String text) {}

    private static volatile Second last = new Second(Long.MIN_VALUE, "");

    private AuditTime() {}

    static void append(StringBuilder b, Instant t) {
        long s = t.getEpochSecond();
        if (s < FIRST || s > LAST) {
            b.append(t);
            return;
        }
        Second sec = last;
        if (sec.epochSecond != s) last = sec = new Second(s, SECONDS.format(t));
        b.append(sec.text);
        int nano = t.getNano();
        if (nano != 0) {
            // as DateTimeFormatter.ISO_INSTANT: 3, 6 or 9 digits, the fewest that keep every non-zero one
            int digits = nano % 1_000_000 == 0 ? 3 : nano % 1_000 == 0 ? 6 : 9;
            int value = digits == 3 ? nano / 1_000_000 : digits == 6 ? nano / 1_000 : nano;
            b.append('.');
            for (int d = digits - 1, p = pow10(d); d >= 0; d--, p /= 10) b.append((char) ('0' + value / p % 10));
        }
        b.append('Z');
    }

    private static int pow10(int n) {
        int p = 1;
        for (int i = 0; i < n; i++) p *= 10;
        return p;
    }
}
