package mailproxy.imap;

import static mailproxy.testing.Sasl.b64;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import mailproxy.testing.FreePorts;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The login to the backend, against a scripted fake IMAP server that checks every byte
 * the proxy sends it: literals, LITERAL+, AUTHENTICATE PLAIN, ID, tags, untagged lines.
 */
@Timeout(20)
class ImapBackendLoginTest {
    private static final String GREETING = "* OK [CAPABILITY IMAP4rev1 SASL-IR ID] fake ready";

    /** Backend side of a LOGIN with synchronizing literals; returns "user/password" as received. */
    private static String syncLogin(RawClient peer, String tag) throws Exception {
        String first = peer.readLine();
        assertTrue(first.matches(tag + " LOGIN \\{\\d+}"), first);
        int userLength = Integer.parseInt(first.substring(first.indexOf('{') + 1, first.length() - 1));
        peer.line("+ OK");
        String user = new String(peer.readBytes(userLength), StandardCharsets.ISO_8859_1);
        String rest = peer.readLine();
        assertTrue(rest.matches(" \\{\\d+}"), rest);
        int passLength = Integer.parseInt(rest.substring(2, rest.length() - 1));
        peer.line("+ OK");
        String pass = new String(peer.readBytes(passLength), StandardCharsets.ISO_8859_1);
        assertEquals("", peer.readLine());
        return user + "/" + pass;
    }

    /** The backend's greeting, then the proxy's LOGIN with synchronizing literals; "user/password" as received. */
    private static String greetAndTakeLogin(RawClient peer) throws Exception {
        peer.line(GREETING);
        return syncLogin(peer, "mp1");
    }

    /** What a scripted backend does with one connection; it hands what it saw to {@code seen}. */
    @FunctionalInterface
    private interface Backend {
        void run(RawClient peer, BlockingQueue<String> seen) throws Exception;
    }

    /** A scripted backend, a proxy in front of it, and a client the proxy greeted. */
    private record Harness(ScriptedServer backend, TestProxy proxy, RawClient client, BlockingQueue<String> seen)
            implements AutoCloseable {
        /** What the backend saw next; fails after 5 s without. */
        String next() throws InterruptedException {
            String s = seen.poll(5, TimeUnit.SECONDS);
            assertNotNull(s, "the backend saw nothing more within 5 s");
            return s;
        }

        /** The backend saw these, in this order. */
        void assertSeen(String... expected) throws InterruptedException {
            for (String e : expected) assertEquals(e, next());
        }

        @Override
        public void close() throws Exception {
            client.close();
            proxy.close();
            backend.close();
        }
    }

    /** The harness around {@code backend}, with these backend imap options and limits. */
    private static Harness harness(String imapOptions, String limits, Backend backend) throws Exception {
        BlockingQueue<String> seen = new ArrayBlockingQueue<>(10);
        ScriptedServer server = new ScriptedServer(peer -> backend.run(peer, seen));
        TestProxy proxy = ImapFixtures.proxy(server.port(), imapOptions, limits);
        return new Harness(server, proxy, ImapFixtures.connect(proxy), seen);
    }

    @Test
    void loginGoesAsSynchronizingLiteralsAndTheAnswerCarriesTheClientTag() throws Exception {
        try (Harness h = harness("", "", (peer, seen) -> {
            seen.add(greetAndTakeLogin(peer));
            peer.line("* CAPABILITY IMAP4rev1 IDLE MOVE");
            peer.line("mp1 OK [CAPABILITY IMAP4rev1 IDLE MOVE] Logged in");
            assertEquals("b SELECT INBOX", peer.readLine());
            peer.line("* 0 EXISTS");
            peer.line("b OK [READ-WRITE] Select completed");
            peer.closedByPeer();
        })) {
            RawClient c = h.client();
            c.transcript("""
                    C: a LOGIN bob "p w\\"d\\\\"
                    S: * CAPABILITY IMAP4rev1 IDLE MOVE
                    S: a OK [CAPABILITY IMAP4rev1 IDLE MOVE] Logged in
                    """);
            h.assertSeen("bob/p w\"d\\");
            c.transcript("""
                    C: b SELECT INBOX
                    S: * 0 EXISTS
                    S: b OK [READ-WRITE] Select completed
                    """);
        }
    }

    @Test
    void literalPlusBackendGetsTheLoginInOneWrite() throws Exception {
        try (Harness h = harness("", "", (peer, seen) -> {
            peer.line("* OK [CAPABILITY IMAP4rev1 LITERAL+] fake ready");
            // no "+" is sent: the whole command must arrive anyway
            seen.add(peer.readLine());
            seen.add(new String(peer.readBytes(8), StandardCharsets.ISO_8859_1));
            seen.add(new String(peer.readBytes(10), StandardCharsets.ISO_8859_1));
            peer.line("mp1 OK Logged in");
            peer.closedByPeer();
        })) {
            RawClient c = h.client();
            // the client's own literal: UTF-8 bytes pass byte for byte
            c.transcript("""
                    C: t1 LOGIN {3}
                    S: + ...
                    C: bob {6}
                    S: + ...
                    """);
            c.send("p\u00c3\u00a4ssw\r\n"); // "pässw" in UTF-8, as wire bytes
            assertEquals("t1 OK Logged in", c.readLine());
            h.assertSeen("mp1 LOGIN {3+}", "bob {6+}", "\r\np\u00c3\u00a4ssw\r\n");
        }
    }

    @Test
    void pipelinedCommandsBehindLoginReachTheBackendInOrder() throws Exception {
        try (Harness h = harness("", "", (peer, seen) -> {
            seen.add(greetAndTakeLogin(peer));
            peer.line("mp1 OK Logged in");
            seen.add(peer.readLine());
            peer.line("b OK NOOP done");
            seen.add(peer.readLine());
            peer.line("* BYE bye");
            peer.line("c OK LOGOUT done");
        })) {
            RawClient c = h.client();
            c.send("a LOGIN bob secret\r\nb NOOP\r\nc LOGOUT\r\n");
            c.transcript("""
                    S: a OK Logged in
                    S: b OK NOOP done
                    S: * BYE bye
                    S: c OK LOGOUT done
                    S closes
                    """);
            h.assertSeen("bob/secret", "b NOOP", "c LOGOUT");
        }
    }

    @Test
    void untaggedLinesBeforeTheAnswerAreToleratedAndPassedOn() throws Exception {
        try (Harness h = harness("", "", (peer, seen) -> {
            peer.line("* OK fake ready, no capabilities here");
            assertEquals("mp1 LOGIN {3}", peer.readLine());
            peer.line("* OK [ALERT] Maintenance tonight");
            peer.line("+ go on");
            peer.readLine();
            peer.line("* NO something odd");
            peer.line("+ go on");
            peer.readLine();
            peer.line("* STATUS {5}");
            peer.send("INBOX (MESSAGES 1)\r\n");
            peer.line("mp1 ok Logged in");
            peer.closedByPeer();
        })) {
            RawClient c = h.client();
            c.transcript("""
                    C: A001 LOGIN bob secret
                    S: * OK [ALERT] Maintenance tonight
                    S: * NO something odd
                    S: * STATUS {5}
                    S: INBOX (MESSAGES 1)
                    S: A001 OK Logged in
                    """);
        }
    }

    @Test
    void wrongPasswordPassesTheBackendsNoAndTheClientMayRetry() throws Exception {
        try (Harness h = harness("", "", (peer, seen) -> {
            peer.line(GREETING);
            String got = syncLogin(peer, "mp1");
            if (got.equals("bob/right")) {
                peer.line("mp1 OK Logged in");
                peer.closedByPeer();
            } else {
                peer.line("mp1 NO [AUTHENTICATIONFAILED] Authentication failed.");
                assertTrue(peer.closedByPeer(), "the proxy drops a backend that refused");
            }
        })) {
            RawClient c = h.client();
            c.transcript("""
                    C: a LOGIN bob wrong
                    S: a NO [AUTHENTICATIONFAILED] Authentication failed.
                    C: b NOOP
                    S: b OK NOOP completed
                    C: c LOGIN bob right
                    S: c OK Logged in
                    """);
            assertEquals(2, h.backend().accepted());
        }
    }

    @Test
    void clientAuthenticateVariantsAllBecomeOneBackendLogin() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        try (Harness h = harness("", "", (peer, seen) -> {
            int n = connections.incrementAndGet();
            peer.line(GREETING);
            if (n == 5) {
                // the NUL case: the proxy hangs up before sending a login
                assertTrue(peer.closedByPeer());
                return;
            }
            seen.add(syncLogin(peer, "mp1"));
            peer.line("mp1 NO [AUTHENTICATIONFAILED] Authentication failed.");
            peer.closedByPeer();
        })) {
            RawClient c = h.client();
            // PLAIN with an initial response (RFC 4959)
            c.line("a AUTHENTICATE PLAIN " + b64("\0bob\0s1"));
            c.expect("a NO [AUTHENTICATIONFAILED]");
            // PLAIN without: an empty challenge first
            c.transcript("""
                    C: b AUTHENTICATE PLAIN
                    S: +\s
                    """);
            c.line(b64("bob\0bob\0s2"));
            c.expect("b NO [AUTHENTICATIONFAILED]");
            // LOGIN, both challenges
            c.transcript("""
                    C: c AUTHENTICATE LOGIN
                    S: + VXNlcm5hbWU6
                    """);
            c.line(b64("bob"));
            assertEquals("+ UGFzc3dvcmQ6", c.readLine());
            c.line(b64("s 3"));
            c.expect("c NO [AUTHENTICATIONFAILED]");
            // LOGIN with the user as initial response
            c.line("d AUTHENTICATE LOGIN " + b64("bob"));
            assertEquals("+ UGFzc3dvcmQ6", c.readLine());
            c.line(b64("s\u00e44"));
            c.expect("d NO [AUTHENTICATIONFAILED]");
            // a NUL cannot travel in a literal: refused without troubling the backend's login
            c.line("e AUTHENTICATE LOGIN " + b64("bob"));
            c.expect("+ ");
            c.line(b64("s\0x"));
            assertEquals("e NO [AUTHENTICATIONFAILED] Authentication failed.", c.readLine());
            h.assertSeen("bob/s1", "bob/s2", "bob/s 3", "bob/s\u00e44");
        }
    }

    @Test
    void authenticatePlainToTheBackendWithSaslIr() throws Exception {
        try (Harness h = harness(", login = authenticate-plain", "", (peer, seen) -> {
            peer.line(GREETING);
            seen.add(peer.readLine());
            peer.line("mp1 OK [CAPABILITY IMAP4rev1 IDLE] Logged in");
            peer.closedByPeer();
        })) {
            RawClient c = h.client();
            c.transcript("""
                    C: a LOGIN bob "x y"
                    S: a OK [CAPABILITY IMAP4rev1 IDLE] Logged in
                    """);
            h.assertSeen("mp1 AUTHENTICATE PLAIN " + b64("\0bob\0x y"));
        }
    }

    @Test
    void authenticatePlainToTheBackendWithoutSaslIrWaitsForTheChallenge() throws Exception {
        try (Harness h = harness(", login = authenticate-plain", "", (peer, seen) -> {
            peer.line("* OK [CAPABILITY IMAP4rev1] old server");
            seen.add(peer.readLine());
            peer.line("+ ");
            seen.add(peer.readLine());
            peer.line("mp1 OK Logged in");
            peer.closedByPeer();
        })) {
            RawClient c = h.client();
            c.transcript("""
                    C: a LOGIN bob pw
                    S: a OK Logged in
                    """);
            h.assertSeen("mp1 AUTHENTICATE PLAIN", b64("\0bob\0pw"));
        }
    }

    @Test
    void sendIdForwardsTheClientAddressBeforeLogin() throws Exception {
        try (Harness h = harness(", send-id = true", "", (peer, seen) -> {
            peer.line(GREETING);
            seen.add(peer.readLine());
            peer.line("* ID (\"name\" \"Dovecot\")");
            peer.line("mp1 OK ID completed");
            seen.add(syncLogin(peer, "mp2"));
            peer.line("mp2 OK Logged in");
            peer.closedByPeer();
        })) {
            RawClient c = h.client();
            c.line("a LOGIN bob pw");
            // the backend's answer to our ID is not the client's business
            assertEquals("a OK Logged in", c.readLine());
            String id = h.next();
            int clientPort = c.socket().getLocalPort();
            assertTrue(id.matches("mp1 ID \\(\"x-originating-ip\" \"127\\.0\\.0\\.1\" \"x-originating-port\" \"" + clientPort
                    + "\" \"x-connected-ip\" \"127\\.0\\.0\\.1\" \"x-connected-port\" \"" + h.proxy().port("imap")
                    + "\" \"x-session-id\" \"[0-9a-z-]+\"\\)"), id);
            h.assertSeen("bob/pw");
        }
    }

    /** Backends that cannot take the login: each is a temporary failure for the client, then BYE and close. */
    static Stream<Arguments> unusableBackends() {
        return Stream.of(
                arguments("backendGreetingByeIsUnavailable",
                        (ScriptedServer.Script) peer -> peer.line("* BYE Too many connections"), "", ""),
                arguments("slowBackendIsUnavailableAfterTheBackendTimeout",
                        (ScriptedServer.Script) RawClient::closedByPeer, "", "backend-timeout = 300ms"), // never greets
                arguments("backendClosingDuringLoginIsUnavailable", (ScriptedServer.Script) peer -> {
                    peer.line(GREETING);
                    peer.readLine();
                }, "", ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unusableBackends")
    void unusableBackendIsUnavailable(String name, ScriptedServer.Script script, String imapOptions, String limits) {
        assertAll(name, () -> { // a failure names its case
            try (ScriptedServer backend = new ScriptedServer(script);
                 TestProxy proxy = ImapFixtures.proxy(backend.port(), imapOptions, limits);
                 RawClient c = ImapFixtures.connect(proxy)) {
                c.transcript("""
                        C: a LOGIN bob pw
                        S: a NO [UNAVAILABLE] Service temporarily unavailable, try again later.
                        S: * BYE ...
                        S closes
                        """);
            }
        });
    }

    @Test
    void backendDyingMidSessionClosesTheClientPromptly() throws Exception {
        try (Harness h = harness("", "", (peer, seen) -> {
            peer.line(GREETING);
            syncLogin(peer, "mp1");
            peer.line("mp1 OK Logged in");
            assertEquals("b NOOP", peer.readLine());
            // the backend process dies: its socket closes without a BYE
        })) {
            RawClient c = h.client();
            c.transcript("""
                    C: a LOGIN bob pw
                    S: a OK Logged in
                    C: b NOOP
                    """);
            c.timeout(3000);
            assertTrue(c.closedByPeer(), "client connection closed within 3 s of the backend's end");
        }
    }

    @Test
    void routerRefusalAndMissingImapSection() throws Exception {
        try (TestProxy proxy = TestProxy.start("""
                mailproxy {
                  backends {
                    store { host = "127.0.0.1", imap { port = %d } }
                    popOnly { host = "127.0.0.1", pop3 { port = %d } }
                  }
                  routers { r { type = static, users { "pop@example.org" = popOnly }, domains { "example.org" = store } } }
                  listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0" } ]
                }
                """.formatted(FreePorts.closedPort(), FreePorts.closedPort()));
             RawClient c = ImapFixtures.connect(proxy)) {
            // an unknown user is refused like a wrong password, and may try again
            c.transcript("""
                    C: a LOGIN nobody@elsewhere.net pw
                    S: a NO [AUTHENTICATIONFAILED] Authentication failed.
                    """);
            // a user routed to a backend without IMAP: a temporary failure, then close
            c.transcript("""
                    C: b LOGIN pop@example.org pw
                    S: b NO [UNAVAILABLE] Service temporarily unavailable, try again later.
                    S: * BYE ...
                    S closes
                    """);
        }
    }
}
