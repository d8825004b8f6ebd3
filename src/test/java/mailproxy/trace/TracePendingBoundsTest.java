package mailproxy.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import mailproxy.testing.Await;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;

/**
 * The attack on the memory of a proxy that watches users (docs/SECURITY.md): every
 * session keeps its trace lines until its login names a user, so many sessions that talk
 * long lines and never log in would hold max-lines × 1,000 characters each. The lines
 * kept are bounded per session (trace.pending-bytes) and for all sessions together
 * (trace.pending-total); what does not fit is dropped, and counted in one line of the
 * trace if the user turns out to be watched.
 */
class TracePendingBoundsTest {
    private static final int PER_SESSION = 4096;
    private static final int TOTAL = 32 * 1024;

    private static String config(int backend) {
        return """
                mailproxy {
                  backends { store { host = "127.0.0.1", imap { port = %d } } }
                  routers { r { type = static, default = store } }
                  listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0" } ]
                  trace { users = [watched], pending-bytes = %d, pending-total = %d }
                }
                """.formatted(backend, PER_SESSION, TOTAL);
    }

    @Test
    void linesKeptUntilTheLoginAreBoundedPerSessionAndInTotal() throws Exception {
        List<RawClient> clients = new ArrayList<>();
        try (LogCapture log = new LogCapture();
             FakeBackend backend = FakeBackends.imap().password("secret").start();
             TestProxy proxy = TestProxy.start(config(backend.port()))) {
            TraceSwitch trace = proxy.server().trace();
            try {
                // a few sessions: each stops at its own bound, far below what it said
                for (int i = 0; i < 4; i++) clients.add(chatty(proxy));
                assertTrue(trace.pendingBytes() > 0, "lines are kept");
                assertTrue(trace.pendingBytes() <= 4 * PER_SESSION, "per session: " + trace.pendingBytes());
                // many: together they stop at the total
                for (int i = 0; i < 36; i++) clients.add(chatty(proxy));
                assertTrue(trace.pendingBytes() <= TOTAL, "in total: " + trace.pendingBytes());

                // the first one turns out to be watched: its kept lines, then one line on what was dropped
                RawClient first = clients.get(0);
                first.line("z1 LOGIN watched secret");
                first.expect("z1 OK");
                String note = log.awaitLine(Duration.ofSeconds(5), "lines dropped before the login");
                String id = note.substring(note.indexOf(" trace - ") + 9).split(" ")[0];
                List<String> session = log.text().lines().filter(l -> l.contains(" trace - " + id + " ")).toList();
                assertEquals(1, session.stream().filter(l -> l.contains("lines dropped")).count(), String.join("\n", session));
                assertTrue(session.get(0).contains("imap session on listener imap"), session.get(0));
                // the LOGIN line itself came after the bound: dropped too; from the login on, the trace is live
                assertTrue(session.stream().anyMatch(l -> l.contains("backend -- login accepted")), String.join("\n", session));
            } finally {
                for (RawClient c : clients) c.close();
            }
            // the sessions ended without a watched user: what they held is given back
            assertTrue(Await.until(Duration.ofSeconds(10), () -> trace.pendingBytes() == 0), "still held: " + trace.pendingBytes());
        }
    }

    /** A session that talks: 20 ID commands of about 950 bytes each, all answered. */
    private static RawClient chatty(TestProxy proxy) throws Exception {
        RawClient c = RawClient.connect(proxy.port("imap"));
        c.expect("* OK");
        for (int i = 0; i < 20; i++) {
            c.line("a" + i + " ID (\"name\" \"" + "x".repeat(900) + "\")");
            c.expect("* ID");
            c.expect("a" + i + " OK");
        }
        return c;
    }
}
