package mailproxy.guard;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/** A clock the test moves by hand: expiry without sleeping. */
final class TestClock implements InstantSource {
    private volatile long millis = 1_000_000_000_000L;

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis);
    }

    @Override
    public long millis() {
        return millis;
    }

    void advance(Duration d) {
        millis += d.toMillis();
    }
}
