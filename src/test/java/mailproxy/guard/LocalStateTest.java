package mailproxy.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The in-process table: windows, refreshed counters, expiry, and its bound. */
class LocalStateTest {
    private final TestClock clock = new TestClock();
    private final LocalState state = new LocalState(clock, 1000);

    @Test
    void incrementCountsInAFixedWindowFromTheFirstIncrement() {
        Duration window = Duration.ofMinutes(10);
        assertEquals(1, state.increment("k", 1, window));
        clock.advance(Duration.ofMinutes(9));
        assertEquals(2, state.increment("k", 1, window), "a later increment keeps the first expiry");
        clock.advance(Duration.ofMinutes(1));
        assertEquals(0, state.count("k"), "expired ten minutes after the first");
        assertEquals(1, state.increment("k", 1, window), "a new window");
    }

    @Test
    void aShareIsThisProcessesOwnAndTakesNoRoomInTheTable() {
        Duration ttl = Duration.ofMinutes(10);
        assertEquals(3, state.share("conn:198.51.100.7", 3, 5, ttl), "the only share is this process's");
        assertEquals(6, state.share("conn:198.51.100.7", 6, 5, ttl), "past max: the sum it would be");
        assertEquals(0, state.size(), "the guard's own table of held places is the count");
    }

    @Test
    void textsExpireAndCountersReadAsText() {
        state.put("b", "x", Duration.ofSeconds(30));
        state.increment("n", 1, Duration.ofSeconds(30));
        assertEquals("x", state.get("b"));
        assertEquals("1", state.get("n"));
        clock.advance(Duration.ofSeconds(30));
        assertNull(state.get("b"));
        assertNull(state.get("n"));
        state.put("d", "y", Duration.ofSeconds(30));
        state.delete("d");
        assertNull(state.get("d"));
    }

    @Test
    void tableStaysBoundedAndABlockSurvivesAFloodOfFresherRecords() {
        state.put("block:victim", "1", Duration.ofMinutes(15));
        clock.advance(Duration.ofMinutes(6)); // from now on every new failure window outlives the block
        for (int i = 0; i < 20_000; i++) {
            state.increment("fail:ip:10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255), 1, Duration.ofMinutes(10));
            assertTrue(state.size() <= 1001, "size " + state.size() + " after " + i);
        }
        assertEquals("1", state.get("block:victim"), "a block is never evicted by load");
        assertFalse(state.full(), "failure records make room; only blocks fill the table");
    }

    @Test
    void aTableFullOfBlocksSaysSoUntilTheyExpire() {
        for (int i = 0; i < 1200; i++) state.put("block:10.0." + (i >> 8) + "." + (i & 255), "1", Duration.ofMinutes(15));
        assertEquals("1", state.get("block:10.0.0.0"), "no block forgotten, not even the first");
        assertTrue(state.full(), "full of blocks: the guard refuses instead of forgetting");
        clock.advance(Duration.ofMinutes(15));
        assertFalse(state.full(), "the blocks expired: room again");
        assertEquals(0, state.size());
    }

    @Test
    void expiredKeysGoBeforeLiveOnes() {
        for (int i = 0; i < 900; i++) state.put("old" + i, "x", Duration.ofSeconds(1));
        clock.advance(Duration.ofSeconds(2));
        for (int i = 0; i < 800; i++) state.put("new" + i, "x", Duration.ofSeconds(1));
        for (int i = 0; i < 800; i++) assertEquals("x", state.get("new" + i), "new" + i);
    }
}
