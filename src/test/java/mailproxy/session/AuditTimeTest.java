package mailproxy.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The audit line's time= is what Instant.toString writes, to the character. */
class AuditTimeTest {
    private static String text(Instant t) {
        StringBuilder b = new StringBuilder();
        AuditTime.append(b, t);
        return b.toString();
    }

    @Test
    void sameAsInstantToStringForEveryFractionShape() {
        long s = Instant.parse("2026-12-07T18:38:00Z").getEpochSecond();
        for (int nano : new int[] {0, 1, 10, 999, 1_000, 120_000, 123_000_000, 100_000_000, 123_456_000, 123_456_789,
                999_999_999, 5_000_000, 50_000}) {
            Instant t = Instant.ofEpochSecond(s, nano);
            assertEquals(t.toString(), text(t), "nano " + nano);
        }
    }

    @Test
    void sameAsInstantToStringAcrossSecondsAndAtTheEdgesOfFourDigitYears() {
        SplittableRandom r = new SplittableRandom(22);
        long s = Instant.parse("2026-12-07T18:38:00Z").getEpochSecond();
        for (int i = 0; i < 5_000; i++) {
            // back and forth across seconds: the per-second text is replaced, never reused wrongly
            Instant t = Instant.ofEpochSecond(s + r.nextInt(-3, 4), r.nextInt(1_000_000_000) / (i % 3 == 0 ? 1_000 : 1) * (i % 3 == 0 ? 1_000 : 1));
            assertEquals(t.toString(), text(t));
        }
        for (String edge : new String[] {"0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "1970-01-01T00:00:00Z",
                "1969-12-31T23:59:59.5Z"}) {
            Instant t = Instant.parse(edge);
            assertEquals(t.toString(), text(t), edge);
        }
        // outside four-digit years Instant.toString writes a sign or a fifth digit: left to it
        for (Instant t : new Instant[] {Instant.parse("0000-01-01T00:00:00Z").minusNanos(1), Instant.parse("+10000-01-01T00:00:00Z"),
                Instant.MIN, Instant.MAX}) {
            assertEquals(t.toString(), text(t));
        }
    }
}
