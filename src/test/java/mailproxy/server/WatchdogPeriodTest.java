package mailproxy.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import mailproxy.config.Limits;
import org.junit.jupiter.api.Test;

/** How often the server's watchdog looks: often enough for every deadline it enforces. */
class WatchdogPeriodTest {
    private static Limits limits(Duration timeout, Duration greetingTimeout, Duration backendTimeout) {
        return new Limits(1024, 1024, 5, timeout, Duration.ofHours(24), Duration.ofSeconds(10), Duration.ofSeconds(10),
                greetingTimeout, backendTimeout, 65536, Duration.ofMinutes(5), Duration.ofSeconds(5));
    }

    @Test
    void aShortBackendGreetingWaitIsEndedInTimeToo() {
        // the watchdog ends line reads at their deadline (wire.Connection), the backend's greeting wait among them
        Duration p = Sessions.periodFor(List.of(limits(Duration.ofSeconds(60), Duration.ofMillis(300), Duration.ofSeconds(30))));
        assertEquals(Duration.ofMillis(30), p);
    }

    @Test
    void theShortestTimeoutSetsThePeriod() {
        Duration p = Sessions.periodFor(List.of(limits(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(30))));
        assertEquals(Duration.ofMillis(200), p);
    }
}
