package mailproxy.sieve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import mailproxy.testing.Await;
import mailproxy.testing.FreePorts;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealDovecot;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * ManageSieve (RFC 5804) through the proxy to Debian's dovecot-managesieved: the proxy's
 * own greeting and AUTHENTICATE in the quoted and literal forms, then the relay, with
 * PUTSCRIPT, LISTSCRIPTS and GETSCRIPT byte for byte; and the sieve-connect client.
 */
@Timeout(120)
class SieveDovecotTest {
    /** 8-bit text, a line that looks like a response, CRLF line ends: a literal carries it as is. */
    static final String SCRIPT = "require [\"fileinto\"];\r\n# r\u00c3\u00a9gle \"OK\"\r\nif header :contains \"subject\" \"OK\" {\r\n"
            + "  fileinto \"INBOX\";\r\n}\r\n";
    static RealDovecot dovecot;
    static int sievePort;
    static TestProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        sievePort = FreePorts.allocate(1)[0];
        dovecot = RealDovecot.startExtra("""
                protocols = imap pop3 lmtp sieve
                service managesieve-login {
                  inet_listener sieve {
                    address = 127.0.0.1
                    port = %d
                  }
                }
                plugin {
                  sieve = file:~/sieve;active=~/.dovecot.sieve
                }
                """.formatted(sievePort));
        awaitGreeting(sievePort);
        proxy = TestProxy.start("""
                mailproxy {
                  server-name = "proxy.test"
                  backends { d { host = "127.0.0.1", sieve { port = %d } } }
                  routers { r { type = static, default = d } }
                  listeners = [ { name = sieve, protocol = sieve, listen = "127.0.0.1:0", auth = [plain, login] } ]
                }
                """.formatted(sievePort));
    }

    @AfterAll
    static void stop() {
        if (proxy != null) proxy.close();
        if (dovecot != null) dovecot.close();
    }

    /** managesieve-login starts with the master; poll until its OK line. */
    static void awaitGreeting(int port) throws Exception {
        Await.retrying(Duration.ofSeconds(10), Duration.ofMillis(100), () -> {
            try (RawClient c = RawClient.connect(port)) {
                for (String l = c.readLine(); l != null; l = c.readLine()) if (l.startsWith("OK")) return l;
            }
            throw new IOException("closed before its OK line");
        });
    }

    static String plain(String user, String password) {
        return Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
    }

    static RawClient greeted() throws IOException {
        RawClient c = RawClient.connect(proxy.port("sieve"));
        assertEquals("\"IMPLEMENTATION\" \"mailproxy\"", c.readLine());
        assertTrue(c.readLine().startsWith("\"SIEVE\" \"fileinto reject envelope "));
        assertEquals("\"NOTIFY\" \"mailto\"", c.readLine());
        assertEquals("\"SASL\" \"PLAIN LOGIN\"", c.readLine());
        assertEquals("\"VERSION\" \"1.0\"", c.readLine());
        assertEquals("OK \"proxy.test ManageSieve ready.\"", c.readLine());
        return c;
    }

    @Test
    void putListAndGetAScriptByteForByte() throws Exception {
        byte[] script = SCRIPT.getBytes(StandardCharsets.ISO_8859_1);
        try (RawClient c = greeted()) {
            c.line("CAPABILITY");
            c.expect("\"IMPLEMENTATION\" \"mailproxy\"");
            for (String l = c.readLine(); !l.startsWith("OK"); l = c.readLine()) assertTrue(l.startsWith("\""), l);
            c.line("AUTHENTICATE \"PLAIN\" \"" + plain(RealDovecot.BOB, RealDovecot.BOB_PASSWORD) + "\"");
            assertEquals("OK \"Logged in.\"", c.readLine());
            // from here on: Dovecot
            c.send("PUTSCRIPT \"proxied\" {" + script.length + "+}\r\n").send(script).send("\r\n");
            c.expect("OK");
            c.line("LISTSCRIPTS");
            assertEquals("\"proxied\"", c.readLine());
            c.expect("OK");
            c.line("GETSCRIPT \"proxied\"");
            assertEquals("{" + script.length + "}", c.readLine());
            assertEquals(SCRIPT, new String(c.readBytes(script.length), StandardCharsets.ISO_8859_1));
            assertEquals("", c.readLine());
            c.expect("OK");
            c.line("LOGOUT");
            c.expect("OK");
        }
        dovecot.awaitLog("Login: user=<bob>, method=PLAIN", Duration.ofSeconds(10));
    }

    @Test
    void authenticateInTheLiteralFormsAndWithAChallenge() throws Exception {
        String b64 = plain(RealDovecot.ALICE, RealDovecot.ALICE_PASSWORD);
        try (RawClient c = greeted()) {
            // RFC 5804 §4: strings as literals, the client's non-synchronizing {n+} and the plain {n}
            c.send("AUTHENTICATE {5+}\r\nPLAIN {" + b64.length() + "}\r\n" + b64 + "\r\n");
            assertEquals("OK \"Logged in.\"", c.readLine());
            c.line("LISTSCRIPTS");
            c.expect("OK");
        }
        try (RawClient c = greeted()) {
            // no initial response: an empty challenge, then the response as a quoted string
            c.line("AUTHENTICATE \"PLAIN\"");
            assertEquals("\"\"", c.readLine());
            c.line("\"" + plain(RealDovecot.BOB, "wrong") + "\"");
            c.expect("NO");
            c.line("AUTHENTICATE \"LOGIN\"");
            assertEquals("\"VXNlcm5hbWU6\"", c.readLine());
            c.send("{4+}\r\nYm9i\r\n");
            assertEquals("\"UGFzc3dvcmQ6\"", c.readLine());
            c.line("\"" + Base64.getEncoder().encodeToString(RealDovecot.BOB_PASSWORD.getBytes(StandardCharsets.UTF_8)) + "\"");
            assertEquals("OK \"Logged in.\"", c.readLine());
        }
    }

    @Test
    void beforeLoginTheProxyAnswers() throws Exception {
        try (RawClient c = greeted()) {
            c.transcript("""
                    C: NOOP "sync-1"
                    S: OK (TAG "sync-1") "Done"
                    C: LISTSCRIPTS
                    S: NO "Authenticate first."
                    C: AUTHENTICATE "DIGEST-MD5"
                    S: NO "Unsupported authentication mechanism."
                    C: AUTHENTICATE "PLAIN"
                    S: ""
                    C: "*"
                    S: NO "Authentication cancelled."
                    C: LOGOUT
                    S: OK "Logout completed."
                    """);
            assertTrue(c.closedByPeer());
        }
        try (RawClient c = greeted()) {
            // over limits.literal-size: its bytes are on their way, the stream cannot be kept in step
            c.line("PUTSCRIPT \"big\" {100000+}");
            assertEquals("BYE \"Literal too big.\"", c.readLine());
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void sieveConnectUploadsListsAndDownloads(@TempDir Path tmp) throws Exception {
        Path local = tmp.resolve("local.sieve");
        Files.write(local, SCRIPT.getBytes(StandardCharsets.ISO_8859_1));
        Path password = tmp.resolve("password");
        Files.writeString(password, RealDovecot.CAROL_PASSWORD + "\n");
        String base = "sieve-connect --server 127.0.0.1 --port " + proxy.port("sieve") + " --user " + RealDovecot.CAROL
                + " --authmech PLAIN --clearchan --passwordfd 3 ";
        run(tmp, base + "--upload --localsieve " + local + " --remotesieve viaconnect 3<" + password);
        String list = run(tmp, base + "--list 3<" + password);
        assertTrue(list.contains("viaconnect"), list);
        Path back = tmp.resolve("back.sieve");
        run(tmp, base + "--download --remotesieve viaconnect --localsieve " + back + " 3<" + password);
        assertEquals(SCRIPT, new String(Files.readAllBytes(back), StandardCharsets.ISO_8859_1));
    }

    /** Runs a shell command line (for the password fd), bounded; its output, or a failure with it. */
    private static String run(Path dir, String command) throws Exception {
        Path out = dir.resolve("out.txt");
        Process p = new ProcessBuilder("sh", "-c", command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("sieve-connect did not finish: " + Files.readString(out));
        }
        String text = Files.readString(out, StandardCharsets.ISO_8859_1);
        assertEquals(0, p.exitValue(), command + "\n" + text);
        return text;
    }
}
