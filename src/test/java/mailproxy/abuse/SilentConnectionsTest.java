package mailproxy.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import mailproxy.testing.Await;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 2,000 connections that never say a word, over the three protocols, are each greeted and
 * closed by limits.timeout with the protocol's timeout reply; the connection permits
 * (max-connections = 2000, all of them taken) come back, and a normal client is served.
 */
@Timeout(120)
class SilentConnectionsTest {
    private static final int SILENT = 2000;
    private static final int BATCH = 200;
    private static final String[] PROTOCOLS = {"imap", "pop3", "smtp"};

    @Test
    void silentConnectionsAreClosedByTheTimeoutAndThePermitsComeBack() throws Exception {
        String keys = """
                max-connections = %d
                limits { timeout = 2s }
                guard { max-connections-per-ip = 0, max-sessions-per-user = 0, auth-delay = 0s, block-after = 0 }
                """.formatted(SILENT);
        List<Socket> silent = new ArrayList<>(SILENT);
        try (FakeBackends.Trio mail = FakeBackends.trio(Map.of("bob", "secret"));
             LogCapture log = new LogCapture();
             TestProxy p = Probes.proxy(mail, keys)) {
            long fds = Probes.openFds();
            try {
                // bounded batches: the listen backlog (1024) never has to hold more than one
                for (int i = 0; i < SILENT; i++) {
                    if (i % BATCH == 0 && i > 0) awaitAccepted(p, log, i);
                    Socket s = new Socket();
                    s.connect(p.address(PROTOCOLS[i % 3]), 5000);
                    silent.add(s);
                }
                boolean allHeld = awaitAccepted(p, log, SILENT);
                lateClientWaitsWhileAllPermitsAreTaken(p, allHeld);

                for (int i = 0; i < SILENT; i++) {
                    String said = readUntilClosed(silent.get(i), Duration.ofSeconds(20));
                    assertSaidGreetingThenTimeout(PROTOCOLS[i % 3], said);
                }
            } finally {
                for (Socket s : silent) s.close();
            }
            Probes.awaitNoSessions(p, Duration.ofSeconds(20));
            for (String protocol : PROTOCOLS) {
                Probes.awaitSessionLines(log, protocol, count(protocol) + (protocol.equals("pop3") ? 1 : 0), Duration.ofSeconds(20));
            }
            assertEquals(SILENT, Probes.count(log.text(), "outcome=timeout"), "each silent session ended by the timeout");

            // every permit is back: a normal client logs in at once
            try (RawClient c = RawClient.connect(p.address("pop3"))) {
                c.expect("+OK");
                c.line("USER bob");
                c.expect("+OK");
                c.line("PASS secret");
                c.expect("+OK Logged in.");
                c.line("QUIT");
                c.expect("+OK");
            }
            Probes.awaitNoSessions(p, Duration.ofSeconds(10));
            long after = Probes.openFds();
            assertTrue(after <= fds + 10, "open descriptors before " + fds + ", after " + after);
        }
    }

    /**
     * One connection past max-connections waits in the backlog, unserved, while all permits
     * are held, and is greeted once the timeout frees them. The wait is only checked when
     * no silent session ended meanwhile ({@code allHeld} before, and the count after).
     */
    private static void lateClientWaitsWhileAllPermitsAreTaken(TestProxy p, boolean allHeld) throws Exception {
        try (RawClient late = RawClient.connect(p.address("pop3"))) {
            late.timeout(300);
            boolean greeted;
            try {
                greeted = late.socket().getInputStream().read() >= 0;
            } catch (SocketTimeoutException e) {
                greeted = false;
            }
            if (allHeld && p.activeSessions() == SILENT) assertFalse(greeted, "greeted past max-connections");
            late.timeout(20_000);
            late.expect(greeted ? "OK" : "+OK"); // read() took the '+' when it was there
            late.line("QUIT");
            late.expect("+OK");
        }
    }

    /**
     * Waits (bounded) until the proxy has accepted {@code n} connections (running or already
     * logged as ended); true if all {@code n} are running at once.
     */
    private static boolean awaitAccepted(TestProxy p, LogCapture log, int n) throws InterruptedException {
        Await.until(Duration.ofSeconds(10), () -> p.activeSessions() + ended(log) >= n);
        return p.activeSessions() >= n;
    }

    private static int ended(LogCapture log) {
        String text = log.text();
        int n = 0;
        for (String protocol : PROTOCOLS) n += Probes.sessionLines(text, protocol);
        return n;
    }

    private static int count(String protocol) {
        int n = 0;
        for (int i = 0; i < SILENT; i++) if (PROTOCOLS[i % 3].equals(protocol)) n++;
        return n;
    }

    private static String readUntilClosed(Socket s, Duration within) throws IOException {
        s.setSoTimeout((int) within.toMillis());
        try {
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (SocketTimeoutException e) {
            return "(not closed within " + within + ")";
        }
    }

    private static void assertSaidGreetingThenTimeout(String protocol, String said) {
        String[] expected = switch (protocol) {
            case "imap" -> new String[] {"* OK ", "* BYE Autologout; idle for too long\r\n"};
            case "pop3" -> new String[] {"+OK ", "-ERR Disconnected for inactivity.\r\n"};
            default -> new String[] {"220 ", "421 4.4.2 localhost Error: timeout exceeded\r\n"};
        };
        assertTrue(said.startsWith(expected[0]) && said.endsWith(expected[1]), protocol + " said: " + said);
    }
}
