package mailproxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocket;
import mailproxy.testing.Procs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS session resumption as a client sees it: openssl s_client saves the session of a first
 * connection (-sess_out) and offers it on a second (-sess_in), and says "Reused" when the
 * server took it (RFC 8446 §2.2 tickets; RFC 5246 §7.4.1.2 session ids). Every server here
 * greets with {@code * OK} and closes, as a listener would after LOGOUT.
 * {@link OpenSslSessionResumptionTest} runs every test again with BoringSSL.
 */
@Timeout(120)
@EnabledIf("mailproxy.testing.TestPki#opensslAvailable")
class SessionResumptionTest {
    static final Duration RUN = Duration.ofSeconds(20);
    static final SessionResumption DEFAULT = SessionResumption.DEFAULT;

    @TempDir
    Path dir;
    private int runs;

    TlsProvider provider() {
        return TlsProvider.JDK;
    }

    TlsServer server(SessionResumption r) throws TlsConfigException {
        return TlsServer.create(ServerTlsSettings.of(TlsServerTest.rsa).withProvider(provider()).withResumption(r));
    }

    static SessionResumption withKeys(Path... files) {
        return new SessionResumption(DEFAULT.cacheSize(), DEFAULT.timeout(), true, List.of(files));
    }

    /** A fresh 48- or 80-byte key file, as {@code openssl rand 80 > FILE} makes. */
    Path keyFile(String name, int size) throws IOException {
        byte[] b = new byte[size];
        new SecureRandom().nextBytes(b);
        return Files.write(dir.resolve(name), b);
    }

    /** s_client's summary of one connection to {@code server}: "New, TLSv1.3, ..." or "Reused, ...". */
    String connect(TlsServer server, String... args) throws Exception {
        try (Loopback lo = new Loopback()) {
            Thread t = Thread.ofVirtual().start(() -> {
                try (Socket plain = lo.listener.accept(); SSLSocket s = server.handshake(plain, RUN)) {
                    s.getOutputStream().write("* OK\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // s_client's output tells what went wrong
                }
            });
            Path out = dir.resolve("s_client-" + ++runs + ".txt");
            List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect",
                    "127.0.0.1:" + lo.listener.getLocalPort(), "-ign_eof"));
            cmd.addAll(List.of(args));
            Procs.run(out, RUN, cmd.toArray(String[]::new));
            t.join(RUN);
            String text = Files.readString(out);
            assertTrue(text.contains("* OK"), text);
            return text.lines().filter(l -> l.startsWith("New, ") || l.startsWith("Reused, ")).findFirst()
                    .orElseThrow(() -> new AssertionError("no New/Reused line in\n" + text));
        }
    }

    /** The second connection's summary, offering the session the first got from {@code first}. */
    String resumeOn(TlsServer first, TlsServer second, String... args) throws Exception {
        Path session = dir.resolve("session-" + runs);
        List<String> out = new ArrayList<>(List.of(args));
        out.addAll(List.of("-sess_out", session.toString()));
        assertTrue(connect(first, out.toArray(String[]::new)).startsWith("New, "));
        List<String> in = new ArrayList<>(List.of(args));
        in.addAll(List.of("-sess_in", session.toString()));
        return connect(second, in.toArray(String[]::new));
    }

    @Test
    void tls13TicketResumes() throws Exception {
        TlsServer s = server(DEFAULT);
        String second = resumeOn(s, s, "-tls1_3");
        assertTrue(second.startsWith("Reused, TLSv1.3"), second);
    }

    @Test
    void tls12TicketResumes() throws Exception {
        TlsServer s = server(DEFAULT);
        String second = resumeOn(s, s, "-tls1_2");
        assertTrue(second.startsWith("Reused, TLSv1.2"), second);
    }

    /** -no_ticket: the client offers no ticket extension, so only the server's cache can resume it. */
    @Test
    void tls12SessionIdResumesFromTheCache() throws Exception {
        TlsServer s = server(DEFAULT);
        String second = resumeOn(s, s, "-tls1_2", "-no_ticket");
        assertTrue(second.startsWith("Reused, TLSv1.2"), second);
    }

    /**
     * A session with a client certificate resumes. Its tickets carry the certificate; with
     * BoringSSL the first connection's flight (an RSA certificate) and those tickets outgrow
     * the per-engine buffer for records written while reading
     * (OpenSslServer.NON_APPLICATION_BUFFER), so they leave through the next wrap.
     */
    @Test
    void clientCertificateSessionResumes() throws Exception {
        var pki = TlsServerTest.pki;
        TlsServer s = TlsServer.create(ServerTlsSettings.of(TlsServerTest.rsa).withProvider(provider())
                .withClientAuth(ServerTlsSettings.ClientAuth.REQUIRED, pki.ca.cert()));
        String second = resumeOn(s, s, "-tls1_3", "-cert", pki.client.cert().toString(),
                "-key", pki.client.key().toString());
        assertTrue(second.startsWith("Reused, TLSv1.3"), second);
    }

    @Test
    void anotherListenerWithoutSharedKeysDoesNotResume() throws Exception {
        String second = resumeOn(server(DEFAULT), server(DEFAULT), "-tls1_3");
        assertTrue(second.startsWith("New, TLSv1.3"), second);
    }

    @Test
    void badKeyFileIsAConfigErrorNamingIt() throws Exception {
        Path short47 = keyFile("short.key", 47);
        String m = assertThrows(TlsConfigException.class, () -> server(withKeys(short47))).getMessage();
        assertTrue(m.startsWith("tls-ticket-keys: " + short47 + " must be 48 or 80 bytes, not 47"), m);
        Path missing = dir.resolve("missing.key");
        m = assertThrows(TlsConfigException.class, () -> server(withKeys(missing))).getMessage();
        assertTrue(m.startsWith("tls-ticket-keys: " + missing + " does not exist"), m);
    }

    /**
     * Two instances, one key file. The JDK seals tickets with keys of its own: a warning, and
     * a ticket from one does not resume on the other.
     */
    @Test
    void aSharedKeyFileResumesOnAnotherInstance() throws Exception {
        Path key = keyFile("ticket.key", 80);
        try (var log = new mailproxy.testing.LogCapture()) {
            TlsServer a = server(withKeys(key));
            TlsServer b = server(withKeys(key));
            assertTrue(log.text().contains("tls-ticket-keys: the JDK's TLS (tls-provider = jdk) cannot take ticket keys"),
                    log.text());
            String second = resumeOn(a, b, "-tls1_3");
            assertTrue(second.startsWith("New, "), second);
        }
    }

    /** tls-tickets = false: the JDK cannot, and says so. */
    @Test
    void ticketsOff() throws Exception {
        String m = assertThrows(TlsConfigException.class, () -> server(
                new SessionResumption(0, DEFAULT.timeout(), false, List.of()))).getMessage();
        assertTrue(m.startsWith("tls-tickets = false: the JDK's TLS"), m);
    }
}
