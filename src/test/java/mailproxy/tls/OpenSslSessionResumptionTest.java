package mailproxy.tls;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
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

    /**
     * tls-tickets = false: BoringSSL issues TLS 1.3 tickets whatever it is told, so with TLS 1.3
     * it is refused; with TLS 1.2 only, no ticket, and with the cache off no resumption at all.
     */
    @Override
    @Test
    void ticketsOff() throws Exception {
        String m = assertThrows(TlsConfigException.class, () -> server(
                new SessionResumption(0, Duration.ofHours(1), false, List.of()))).getMessage();
        assertTrue(m.startsWith("tls-tickets = false: BoringSSL (tls-provider = openssl) issues TLS 1.3 tickets"), m);
        TlsServer off = tls12(new SessionResumption(0, Duration.ofHours(1), false, List.of()));
        Path session = dir.resolve("off.session");
        assertTrue(connect(off, "-tls1_2", "-sess_out", session.toString()).startsWith("New, TLSv1.2"));
        // Neither a ticket nor a cached session id: s_client may have nothing to save at all.
        if (Files.exists(session)) {
            assertTrue(connect(off, "-tls1_2", "-sess_in", session.toString()).startsWith("New, TLSv1.2"));
        }
        // The cache alone still resumes TLS 1.2 session ids.
        TlsServer cacheOnly = tls12(new SessionResumption(100, Duration.ofHours(1), false, List.of()));
        assertTrue(resumeOn(cacheOnly, cacheOnly, "-tls1_2").startsWith("Reused, TLSv1.2"));
    }

    private TlsServer tls12(SessionResumption r) throws TlsConfigException {
        return TlsServer.create(new ServerTlsSettings(List.of(TlsServerTest.rsa), List.of("TLSv1.2"), null, null, null)
                .withProvider(provider()).withResumption(r));
    }
}
