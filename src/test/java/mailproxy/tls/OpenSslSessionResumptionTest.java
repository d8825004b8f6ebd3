package mailproxy.tls;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * {@link SessionResumptionTest} with BoringSSL, and what only it can do: tickets off, and
 * ticket keys from files that several instances share (nginx's ssl_session_ticket_key).
 */
@Timeout(120)
@EnabledIf("mailproxy.testing.TestPki#opensslAvailable")
class OpenSslSessionResumptionTest extends SessionResumptionTest {
    @Override
    TlsProvider provider() {
        return TlsProvider.OPENSSL;
    }

    /** Two instances, one key file: a ticket from one resumes on the other; another file does not. */
    @Override
    @Test
    void aSharedKeyFileResumesOnAnotherInstance() throws Exception {
        for (int size : new int[] {48, 80}) {
            Path key = keyFile("shared-" + size + ".key", size);
            String second = resumeOn(server(withKeys(key)), server(withKeys(key)), "-tls1_3");
            assertTrue(second.startsWith("Reused, TLSv1.3"), size + " bytes: " + second);
            second = resumeOn(server(withKeys(key)), server(withKeys(key)), "-tls1_2");
            assertTrue(second.startsWith("Reused, TLSv1.2"), size + " bytes: " + second);
            Path other = keyFile("other-" + size + ".key", size);
            second = resumeOn(server(withKeys(key)), server(withKeys(other)), "-tls1_3");
            assertTrue(second.startsWith("New, TLSv1.3"), size + " bytes, another key: " + second);
        }
    }

    /** Rotation: the new key first seals, the old one still opens the tickets it sealed. */
    @Test
    void rotatedKeysStillOpenOldTickets() throws Exception {
        Path old = keyFile("old.key", 80);
        Path next = keyFile("next.key", 80);
        String second = resumeOn(server(withKeys(old)), server(withKeys(next, old)), "-tls1_3");
        assertTrue(second.startsWith("Reused, TLSv1.3"), second);
        // A ticket sealed with the new key does not open where only the old one is known.
        second = resumeOn(server(withKeys(next, old)), server(withKeys(old)), "-tls1_3");
        assertTrue(second.startsWith("New, TLSv1.3"), second);
    }

    /** tls-tickets = false and tls-session-cache = 0: no resumption at all. */
    @Override
    @Test
    void ticketsOff() throws Exception {
        SessionResumption off = new SessionResumption(0, Duration.ofHours(1), false, List.of());
        TlsServer s = server(off);
        for (String version : new String[] {"-tls1_3", "-tls1_2"}) {
            String second = resumeOn(s, s, version);
            assertFalse(second.startsWith("Reused"), version + ": " + second);
        }
        // The cache alone still resumes TLS 1.2 session ids.
        TlsServer cacheOnly = server(new SessionResumption(100, Duration.ofHours(1), false, List.of()));
        assertTrue(resumeOn(cacheOnly, cacheOnly, "-tls1_2").startsWith("Reused, TLSv1.2"));
        assertTrue(resumeOn(cacheOnly, cacheOnly, "-tls1_3").startsWith("New, TLSv1.3"));
    }
}
