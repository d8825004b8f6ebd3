package mailproxy.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLSocket;
import mailproxy.config.ConfigLoader;
import mailproxy.config.ProxyConfig;
import mailproxy.imap.ImapSession;
import mailproxy.lmtp.LmtpSession;
import mailproxy.pop3.Pop3Session;
import mailproxy.route.Pools;
import mailproxy.route.Router;
import mailproxy.route.Routers;
import mailproxy.sieve.SieveSession;
import mailproxy.smtp.SmtpSession;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.FreePorts;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.Sasl;
import mailproxy.testing.SiteCertificates;
import mailproxy.wire.Connection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bug of ours before the relay (docs/SECURITY.md, "The pre-auth dialogue is bounded"):
 * the client at a prompt of ours gets its protocol's "temporary failure, closing" line, then
 * the close; the stack trace stays in the server's log; outcome=internal-error. The failing
 * piece is a router whose route() throws, the way a bug in the login path would; the session
 * is made as server.Listener makes it, over a loopback socket.
 */
@Timeout(60)
class InternalErrorReplyTest {
    private static final String BUG = "deliberate bug in the login path";
    /** Every login, and every LMTP recipient, runs into it. */
    private static final Router BROKEN = request -> {
        throw new IllegalStateException(BUG);
    };

    @TempDir
    Path spool;

    private ProxyConfig config(String protocol, String listenerKeys, int backendPort) {
        return ConfigLoader.parse("""
                mailproxy {
                  server-name = mx.test
                  guard { max-connections-per-ip = 0, max-sessions-per-user = 0, max-sessions-per-user-ip = 0, auth-delay = 0s, block-after = 0 }
                  limits { timeout = 10s, backend-timeout = 5s }
                  backends { store { host = "127.0.0.1", %s { port = %d } } }
                  routers { r { type = static, default = store } }
                  listeners = [ { name = l, protocol = %s, listen = "127.0.0.1:0", %s } ]
                }
                """.formatted(protocol, backendPort, protocol, listenerKeys), "test.conf");
    }

    /** The session ended as a bug, the bug's stack trace is in the server's log, not on the wire. */
    private static void assertInternalError(String logLine, LogCapture log) throws InterruptedException {
        assertTrue(logLine.endsWith(" outcome=internal-error"), logLine);
        log.awaitLine(Duration.ofSeconds(5), "session failed (a bug)");
        log.awaitLine(Duration.ofSeconds(5), "java.lang.IllegalStateException: " + BUG);
    }

    @Test
    void imapLoginIntoABugGetsByeUnavailableThenTheClose() throws Exception {
        try (LogCapture log = new LogCapture()) {
            String line = OneSession.run(config("imap", "", FreePorts.closedPort()), BROKEN, ImapSession::new, c -> c.transcript("""
                    S: * OK [CAPABILITY ...
                    C: a LOGIN bob secret
                    S: * BYE [UNAVAILABLE] Internal error, please try again later
                    S closes
                    """));
            assertInternalError(line, log);
        }
    }

    @Test
    void pop3LoginIntoABugGetsSysTempThenTheClose() throws Exception {
        try (LogCapture log = new LogCapture()) {
            String line = OneSession.run(config("pop3", "", FreePorts.closedPort()), BROKEN, Pop3Session::new, c -> c.transcript("""
                    S: +OK ...
                    C: USER bob
                    S: +OK
                    C: PASS secret
                    S: -ERR [SYS/TEMP] Internal error, please try again later.
                    S closes
                    """));
            assertInternalError(line, log);
        }
    }

    @Test
    void smtpAuthIntoABugGets421ThenTheClose() throws Exception {
        try (LogCapture log = new LogCapture()) {
            String line = OneSession.run(config("smtp", "smtp-trust-unchecked-login = true", FreePorts.closedPort()), BROKEN,
                    SmtpSession::new, c -> {
                        c.transcript("""
                                S: 220 mx.test ...
                                C: EHLO client.test
                                """);
                        c.smtpReply();
                        c.transcript("""
                                C: AUTH PLAIN %s
                                S: 421 4.3.0 mx.test Internal error, please try again later
                                S closes
                                """.formatted(Sasl.plain("bob", "secret")));
                    });
            assertInternalError(line, log);
        }
    }

    @Test
    void lmtpRecipientIntoABugGets421ThenTheClose() throws Exception {
        try (LogCapture log = new LogCapture()) {
            String line = OneSession.run(config("lmtp", "lmtp-temp-dir = \"" + spool + "\"", FreePorts.closedPort()), BROKEN,
                    LmtpSession::new, c -> {
                        c.expect("220 mx.test ");
                        c.line("LHLO client.test");
                        c.smtpReply();
                        c.transcript("""
                                C: MAIL FROM:<alice@client.test>
                                S: 250 2.1.0 Ok
                                C: RCPT TO:<bob@mx.test>
                                S: 421 4.3.0 mx.test Internal error, please try again later
                                S closes
                                """);
                    });
            assertInternalError(line, log);
        }
    }

    @Test
    void sieveLoginIntoABugGetsByeTryLaterThenTheClose() throws Exception {
        try (LogCapture log = new LogCapture()) {
            String line = OneSession.run(config("sieve", "", FreePorts.closedPort()), BROKEN, SieveSession::new, c -> {
                for (int i = 0; i < 20 && !c.readLine().startsWith("OK"); i++) {
                    // the capability list, up to its OK (RFC 5804 §1.7)
                }
                c.transcript("""
                        C: AUTHENTICATE "PLAIN" "%s"
                        S: BYE (TRYLATER) "Internal error, please try again later."
                        S closes
                        """.formatted(Sasl.plain("bob", "secret")));
            });
            assertInternalError(line, log);
        }
    }

    /** On an implicit-TLS listener the line goes once the handshake is done, inside TLS. */
    @Test
    void implicitTlsLoginIntoABugGetsTheByeInsideTls() throws Exception {
        SiteCertificates certs = SiteCertificates.shared();
        ProxyConfig config = config("imap", "tls = implicit, " + certs.listenerTls(), FreePorts.closedPort());
        try (LogCapture log = new LogCapture()) {
            String line = OneSession.run(config, BROKEN, ImapSession::new, plain -> {
                SSLSocket tls = (SSLSocket) certs.clientContext().getSocketFactory()
                        .createSocket(plain.socket(), "localhost", plain.socket().getPort(), true);
                tls.startHandshake();
                new RawClient(tls).timeout(10_000).transcript("""
                        S: * OK [CAPABILITY ...
                        C: a LOGIN bob secret
                        S: * BYE [UNAVAILABLE] Internal error, please try again later
                        S closes
                        """);
            });
            assertInternalError(line, log);
        }
    }

    /**
     * Once the backend's login answer went to the client, the stream is the backend's: a bug
     * then closes without a word of ours (a BYE after the backend's OK would be read as the
     * backend's). The failing piece: the protocol session, once it handed the client over.
     */
    @Test
    void aBugAfterTheBackendAcceptedAddsNoLineOfOurs() throws Exception {
        try (LogCapture log = new LogCapture();
             FakeBackend imap = FakeBackends.imap().start()) {
            ProxyConfig config = config("imap", "", imap.port());
            try (Pools pools = Pools.build(config, null)) {
                Router router = Routers.build(config, pools).get("r");
                SessionFactory failingOnceLoggedIn = s -> {
                    ProtocolSession real = new ImapSession(s);
                    return new ProtocolSession() {
                        @Override public boolean greet() throws IOException { return real.greet(); }

                        @Override public Answer next() throws IOException, InterruptedException {
                            Answer a = real.next();
                            if (a instanceof Answer.End) throw new IllegalStateException(BUG);
                            return a;
                        }

                        @Override public Replies replies() { return real.replies(); }
                    };
                };
                String line = OneSession.run(config, router, failingOnceLoggedIn, c -> c.transcript("""
                        S: * OK [CAPABILITY ...
                        C: a LOGIN bob secret
                        S: a %s
                        S closes
                        """.formatted(FakeBackends.IMAP_LOGGED_IN)));
                assertInternalError(line, log);
            }
        }
    }

    @Test
    void aBugThatBrokeOffAWriteToTheClientAddsNoLineOfOurs() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket tcp = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
             Socket peer = server.accept()) {
            Connection client = new Connection(tcp, 64);
            // a TLS layer (say) whose write puts half the bytes out, then fails with a bug
            client.replaceSocket(new HalfWriteSocket(tcp));
            try {
                client.write("* OK [CAPABILITY IMAP4rev1] ready\r\n");
            } catch (IllegalStateException expected) {
                // the bug
            }
            assertTrue(client.writeBrokeOff());
            // every reply is a BYE: whichever the sender picks would show
            Replies replies = (Replies) java.lang.reflect.Proxy.newProxyInstance(Replies.class.getClassLoader(),
                    new Class<?>[] {Replies.class}, (proxy, method, args) -> method.getReturnType() == boolean.class
                            ? Boolean.FALSE : "* BYE [UNAVAILABLE] Internal error\r\n");
            InternalErrorReply.send(client, replies, true);
            client.close();
            peer.setSoTimeout(5000);
            String got = new String(peer.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
            assertEquals("* OK [CAPAB", got, "the half line only, no BYE after it");
        }
    }

    /** A socket layer whose write sends the first half of the bytes, then throws as a bug would. */
    private static final class HalfWriteSocket extends Socket {
        private final Socket under;

        HalfWriteSocket(Socket under) {
            this.under = under;
        }

        @Override
        public java.net.SocketAddress getRemoteSocketAddress() { return under.getRemoteSocketAddress(); }

        @Override
        public java.io.InputStream getInputStream() throws IOException { return under.getInputStream(); }

        @Override
        public java.io.OutputStream getOutputStream() throws IOException {
            java.io.OutputStream out = under.getOutputStream();
            return new java.io.OutputStream() {
                @Override
                public void write(int b) throws IOException { out.write(b); }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len / 3);
                    out.flush();
                    throw new IllegalStateException(BUG);
                }
            };
        }

        @Override
        public void close() throws IOException { under.close(); }
    }
}
