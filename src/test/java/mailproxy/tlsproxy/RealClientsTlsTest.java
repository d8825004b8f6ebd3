package mailproxy.tlsproxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import mailproxy.testing.RealDovecot;
import mailproxy.testing.RealPostfix;
import mailproxy.testing.RealServers;
import mailproxy.testing.Sasl;
import mailproxy.testing.SiteCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real TLS clients through the proxy to real servers: curl (imaps://, pop3s://, smtps://,
 * and imap/pop3/smtp with --ssl-reqd, which insists on STARTTLS) and openssl s_client
 * (-connect to the implicit ports, -starttls imap|pop3|smtp, -servername for SNI). IMAP and
 * POP3 go on to the TLS Dovecot over TLS; SMTP goes to the fixture Postfix in plaintext.
 * Every client verifies the proxy's certificate against the test CA.
 */
@Timeout(90)
class RealClientsTlsTest {
    private static final Duration RUN = Duration.ofSeconds(20);

    @TempDir
    static Path dir;
    @RegisterExtension
    static final TlsFixture f = TlsFixture.withConfig(certs -> {
        String sni = certs.listenerTlsWithSni();
        return """
                mailproxy {
                  backends {
                    dovecot { host = "127.0.0.1", tls-ca = "%s",
                              imap { port = %d, tls = implicit }, pop3 { port = %d, tls = starttls } }
                    postfix { host = "127.0.0.1", smtp { port = %d, auth = plain } }
                  }
                  routers { d { type = static, default = dovecot }, p { type = static, default = postfix } }
                  listeners = [
                    { name = imaps,   protocol = imap, listen = "127.0.0.1:0", router = d, tls = implicit, %s }
                    { name = pop3s,   protocol = pop3, listen = "127.0.0.1:0", router = d, tls = implicit, %s }
                    { name = smtps,   protocol = smtp, listen = "127.0.0.1:0", router = p, tls = implicit, %s }
                    { name = imap,    protocol = imap, listen = "127.0.0.1:0", router = d, starttls = only, %s }
                    { name = pop3,    protocol = pop3, listen = "127.0.0.1:0", router = d, starttls = only, %s }
                    { name = smtp,    protocol = smtp, listen = "127.0.0.1:0", router = p, starttls = only, %s }
                    { name = plain,   protocol = imap, listen = "127.0.0.1:0", router = d }
                  ]
                }
                """.formatted(dovecot().tlsCertificate(), dovecot().imapsPort(), dovecot().pop3Port(),
                postfix().smtpPort(), sni, sni, sni, sni, sni, sni);
    });

    /** IMAP and POP3 go to the TLS Dovecot (started on first use). */
    static RealDovecot dovecot() {
        return RealServers.tlsDovecot();
    }

    /** SMTP goes to the fixture Postfix (started on first use). */
    static RealPostfix postfix() {
        return RealServers.postfix();
    }

    record Result(int exit, byte[] stdout, String stderr) {
        String out() {
            return new String(stdout, StandardCharsets.ISO_8859_1);
        }

        @Override
        public String toString() {
            return "exit " + exit + "\nstdout:\n" + out() + "\nstderr:\n" + stderr;
        }
    }

    /** Runs a command with {@code stdin} (may be null), bounded by {@link #RUN}. */
    static Result run(String stdin, List<String> cmd) throws IOException, InterruptedException {
        Path in = Files.createTempFile(dir, "in", ".txt");
        Path out = Files.createTempFile(dir, "out", ".bin");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Files.writeString(in, stdin == null ? "" : stdin, StandardCharsets.ISO_8859_1);
        Process p = new ProcessBuilder(cmd).redirectInput(in.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        if (!p.waitFor(RUN.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            throw new AssertionError("still running after " + RUN + ": " + cmd + "\n" + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readAllBytes(out), Files.readString(err, StandardCharsets.ISO_8859_1));
    }

    static List<String> curl(String... args) {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/curl", "-s", "-S", "--max-time", "15",
                "--cacert", f.certs.caCert.toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static List<String> sClient(String... args) {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-CAfile", f.certs.caCert.toString(),
                "-verify_return_error", "-ign_eof", "-nocommands", "-crlf"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static String bob() {
        return RealDovecot.BOB + ":" + RealDovecot.BOB_PASSWORD;
    }

    // ------------------------------------------------------------ curl

    @Test
    void curlImapsFetchesByteExact() throws Exception {
        for (int uid = 1; uid <= 2; uid++) {
            Result r = run(null, curl("imaps://127.0.0.1:" + f.port("imaps") + "/INBOX;UID=" + uid, "-u", bob()));
            assertEquals(0, r.exit(), r.toString());
            assertArrayEquals(RealDovecot.seededMessage(uid), r.stdout(), "message " + uid);
        }
    }

    @Test
    void curlImapWithSslReqdUsesStartTls() throws Exception {
        long mark = dovecot().logMark();
        Result r = run(null, curl("--ssl-reqd", "-v", "imap://127.0.0.1:" + f.port("imap") + "/INBOX;UID=1", "-u", bob()));
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.stderr().contains("STARTTLS"), r.stderr());
        assertArrayEquals(RealDovecot.seededMessage(1), r.stdout());
        assertTrue(dovecot().awaitLog(mark, "imap-login: Info: Login: user=<bob>", RUN).contains(", TLS,"));
    }

    @Test
    void curlPop3sAndPop3WithStls() throws Exception {
        Result r = run(null, curl("pop3s://127.0.0.1:" + f.port("pop3s") + "/1", "-u", bob()));
        assertEquals(0, r.exit(), r.toString());
        assertArrayEquals(RealDovecot.seededMessage(1), r.stdout());
        r = run(null, curl("--ssl-reqd", "-v", "pop3://127.0.0.1:" + f.port("pop3") + "/2", "-u", bob()));
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.stderr().contains("STLS"), r.stderr());
        assertArrayEquals(RealDovecot.seededMessage(2), r.stdout());
    }

    @Test
    void curlSubmitsOverSmtpStartTlsAndSmtps() throws Exception {
        for (String url : List.of("smtp://127.0.0.1:" + f.port("smtp"), "smtps://127.0.0.1:" + f.port("smtps"))) {
            String id = UUID.randomUUID() + "@curl.example";
            Path mail = Files.writeString(dir.resolve("mail-" + UUID.randomUUID() + ".eml"),
                    "From: bob@example.test\r\nTo: carol@example.test\r\nSubject: over TLS\r\nMessage-ID: <" + id
                            + ">\r\n\r\nsent with curl through the proxy\r\n");
            long mark = postfix().logMark();
            Result r = run(null, curl("--ssl-reqd", "-v", url, "--login-options", "AUTH=PLAIN", "-u", bob(),
                    "--mail-from", "bob@example.test", "--mail-rcpt", "carol@example.test", "-T", mail.toString()));
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.stderr().contains("250 2.0.0 Ok: queued"), r.stderr());
            postfix().awaitLog(mark, "message-id=<" + id + ">", RUN);
            assertTrue(postfix().logFile().textSince(mark).contains("sasl_username=bob"), postfix().logFile().textSince(mark));
        }
    }

    @Test
    void curlWithTlsOnAPlainPortFailsCleanly() throws Exception {
        long t0 = System.nanoTime();
        Result r = run(null, curl("imaps://127.0.0.1:" + f.port("plain") + "/INBOX;UID=1", "-u", bob()));
        assertNotEquals(0, r.exit(), r.toString());
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos());
        assertTrue(f.noSessionsLeft(), "a session was left hanging");
    }

    // ------------------------------------------------------------ openssl s_client

    @Test
    void sClientImplicitImapsWithSni() throws Exception {
        Result r = run("a LOGIN " + RealDovecot.BOB + " " + RealDovecot.BOB_PASSWORD + "\nb LOGOUT\n",
                sClient("-connect", "127.0.0.1:" + f.port("imaps"), "-servername", SiteCertificates.OTHER_NAME,
                        "-verify_hostname", SiteCertificates.OTHER_NAME));
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("subject=CN = " + SiteCertificates.OTHER_NAME), r.out());
        assertTrue(r.out().contains("Verify return code: 0 (ok)"), r.out());
        assertTrue(r.out().contains("\na OK"), r.out());
        assertTrue(r.out().contains("\nb OK"), r.out());

        r = run("a LOGOUT\n", sClient("-connect", "127.0.0.1:" + f.port("imaps"), "-servername", "localhost",
                "-verify_ip", "127.0.0.1"));
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("subject=CN = localhost"), r.out());
        assertTrue(r.out().contains("Verify return code: 0 (ok)"), r.out());
    }

    @Test
    void sClientStartTlsImap() throws Exception {
        Result r = run("a CAPABILITY\nb LOGIN " + RealDovecot.BOB + " " + RealDovecot.BOB_PASSWORD
                        + "\nc SELECT INBOX\nd LOGOUT\n",
                sClient("-starttls", "imap", "-connect", "127.0.0.1:" + f.port("imap"), "-verify_ip", "127.0.0.1"));
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("Verify return code: 0 (ok)"), r.out());
        String caps = r.out().lines().filter(l -> l.startsWith("* CAPABILITY")).findFirst().orElse("");
        assertTrue(caps.contains("AUTH=PLAIN") && !caps.contains("LOGINDISABLED") && !caps.contains("STARTTLS"), caps);
        assertTrue(r.out().contains("\nb OK"), r.out());
        assertTrue(r.out().contains("\nc OK [READ-WRITE]"), r.out());
        assertTrue(r.out().contains("\nd OK"), r.out());
    }

    @Test
    void sClientStartTlsPop3() throws Exception {
        Result r = run("CAPA\nUSER " + RealDovecot.BOB + "\nPASS " + RealDovecot.BOB_PASSWORD + "\nSTAT\nQUIT\n",
                sClient("-starttls", "pop3", "-connect", "127.0.0.1:" + f.port("pop3"), "-verify_ip", "127.0.0.1"));
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("Verify return code: 0 (ok)"), r.out());
        assertTrue(r.out().contains("\nSASL PLAIN LOGIN"), r.out());
        assertTrue(r.out().contains("\n+OK " + RealDovecot.seededMessageCount() + " "), r.out());
    }

    @Test
    void sClientStartTlsSmtp() throws Exception {
        Result r = run("EHLO sclient.example\nAUTH PLAIN " + Sasl.plain(RealDovecot.BOB, RealDovecot.BOB_PASSWORD)
                        + "\nQUIT\n",
                sClient("-starttls", "smtp", "-connect", "127.0.0.1:" + f.port("smtp"), "-verify_ip", "127.0.0.1"));
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("Verify return code: 0 (ok)"), r.out());
        assertTrue(r.out().contains("\n250-AUTH PLAIN LOGIN") || r.out().contains("\n250 AUTH PLAIN LOGIN"), r.out());
        assertTrue(r.out().contains("\n235 2.7.0"), r.out());
        assertTrue(r.out().contains("\n221 "), r.out());
    }

    @Test
    void sClientImplicitPop3sAndSmtps() throws Exception {
        Result r = run("USER " + RealDovecot.BOB + "\nPASS " + RealDovecot.BOB_PASSWORD + "\nQUIT\n",
                sClient("-connect", "127.0.0.1:" + f.port("pop3s"), "-verify_ip", "127.0.0.1"));
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("+OK Logged in."), r.out());
        r = run("EHLO sclient.example\nQUIT\n",
                sClient("-connect", "127.0.0.1:" + f.port("smtps"), "-verify_ip", "127.0.0.1"));
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("\n221 "), r.out());
    }

    /** RFC 8996: TLS 1.1 is refused by default, even when the client would take it. */
    @Test
    void sClientTls11IsRefused() throws Exception {
        Result r = run("", List.of("openssl", "s_client", "-connect", "127.0.0.1:" + f.port("imaps"),
                "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"));
        assertNotEquals(0, r.exit(), r.toString());
        assertTrue(!r.out().contains("* OK"), r.out());
        assertTrue(f.noSessionsLeft(), "a session was left hanging");
    }
}
