package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A reload's rebalance moves a user only when no session of it is open (README, "Moving
 * users"): forgetting with reason rebalance takes an idle assignment and leaves one with a
 * session, in one step of the table.
 */
class RebalanceTest {
    private final PoolFixtures.Clock clock = new PoolFixtures.Clock();

    @Test
    void aRebalanceForgetsAnIdleUserButNeverOneWithASessionOpen() {
        LocalAssignments t = new LocalAssignments(Duration.ofMinutes(15), 10, clock);
        Assignments.Hold h = t.open("bob", "a");
        h.accepted();
        t.forget("bob", "a", Assignments.Forgotten.REBALANCE);
        assertEquals("a", t.assigned("bob"), "his session is still open on a");
        assertEquals(0, t.forgotten(Assignments.Forgotten.REBALANCE));
        h.released();
        t.forget("bob", "a", Assignments.Forgotten.REBALANCE);
        assertNull(t.assigned("bob"), "idle now: the hash decides his next login");
        assertEquals(1, t.forgotten(Assignments.Forgotten.REBALANCE));
    }
}
