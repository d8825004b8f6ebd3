package mailproxy.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The churn's checker on made-up intervals (milliseconds as nanoTime values from 0). */
class SplitCheckerTest {
    private static final long MS = 1_000_000;
    private final SplitChecker checker = new SplitChecker(0);

    private void session(String user, String server, long openedMs, long closedMs) {
        checker.session(user, server, "imap", openedMs * MS, closedMs * MS);
    }

    private void assertNoSplit() {
        assertEquals(List.of(), checker.splits());
    }

    @Test
    void twoSessionsOfOneUserOpenAtOnceOnTwoServersAreASplitNamedWithBothIntervals() {
        session("bob", "A", 100, 900);
        session("bob", "B", 500, 1200);
        List<SplitChecker.Split> splits = checker.splits();
        assertEquals(1, splits.size());
        assertEquals("1 split session pair(s):\n  user bob: imap on A [100 ms, 900 ms] and imap on B [500 ms, 1200 ms]\n",
                checker.report(splits));
    }

    @Test
    void oneAfterTheOtherOnTwoServersIsNoSplit() {
        session("bob", "A", 100, 500);
        session("bob", "B", 500, 900);
        assertNoSplit();
    }

    @Test
    void manySessionsOnOneServerAtOnceAreNoSplit() {
        session("bob", "A", 100, 900);
        session("bob", "A", 200, 300);
        session("bob", "A", 250, 1000);
        assertNoSplit();
    }

    @Test
    void twoUsersAtOnceOnTwoServersAreNoSplit() {
        session("bob", "A", 100, 900);
        session("alice", "B", 100, 900);
        assertNoSplit();
    }

    @Test
    void aSessionOnAKilledServerEndsAtTheKillHoweverLateItsClientNotices() {
        session("bob", "A", 100, 5000); // its client saw the end only at its next command
        checker.killed("A", 1000 * MS);
        session("bob", "B", 1500, 2000); // moved after the kill: fine
        session("bob", "A", 2500, 3000); // A back again, after B's session ended: fine
        assertNoSplit();
        assertEquals(Map.of("A", 2, "B", 1), checker.perServer());
    }

    @Test
    void aSessionOpenedElsewhereBeforeTheKillIsStillASplit() {
        session("bob", "A", 100, 5000);
        session("bob", "B", 800, 2000);
        checker.killed("A", 1000 * MS);
        List<SplitChecker.Split> splits = checker.splits();
        assertEquals(1, splits.size());
        assertTrue(checker.report(splits).contains("imap on A [100 ms, 1000 ms] and imap on B [800 ms, 2000 ms]"),
                checker.report(splits));
    }

    @Test
    void aLongSessionIsComparedWithEveryLaterOneItOverlaps() {
        session("bob", "A", 0, 10_000);
        session("bob", "A", 100, 200);
        session("bob", "B", 300, 400);
        session("bob", "C", 9_000, 11_000);
        assertEquals(2, checker.splits().size(), checker.report(checker.splits()));
    }
}
