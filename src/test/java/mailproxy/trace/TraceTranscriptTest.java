package mailproxy.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;

/**
 * The trace of known sessions, line by line (ids, times and ports taken out): both legs,
 * C: and S: the right way round, and no secret anywhere in the log.
 */
class TraceTranscriptTest {
    /** "1-x3f 12:00:01.234 rest" after the logger's own prefix. */
    private static final Pattern TRACE = Pattern.compile(" trace - (\\S+) \\d\\d:\\d\\d:\\d\\d\\.\\d{3} (.*)$");

    private static String config(int backend, String extra) {
        return """
                mailproxy {
                  server-name = "trace.test"
                  backends { store { host = "127.0.0.1", imap { port = %d } } }
                  routers { r { type = static, default = store } }
                  listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0" %s } ]
                }
                """.formatted(backend, extra);
    }

    /** The log, a fake IMAP backend (alice's password: secret) and a proxy in front of it ({@link #config}). */
    private record Traced(LogCapture log, FakeBackend backend, TestProxy proxy) implements AutoCloseable {
        /** {@code extra}: more keys of the imap listener, each after a comma; {@code more}: config text after it all. */
        static Traced start(String extra, String more) throws Exception {
            LogCapture log = new LogCapture();
            FakeBackend backend = null;
            try {
                backend = FakeBackends.imap().password("secret").start();
                return new Traced(log, backend, TestProxy.start(config(backend.port(), extra) + more));
            } catch (Exception e) {
                try (LogCapture l = log; FakeBackend b = backend) {
                    throw e;
                }
            }
        }

        /** A client of the imap listener, greeted. */
        RawClient client() throws IOException {
            RawClient c = RawClient.connect(proxy.port("imap"));
            c.expect("* OK");
            return c;
        }

        @Override
        public void close() throws IOException {
            try (LogCapture l = log; FakeBackend b = backend) {
                proxy.close();
            }
        }
    }

    /** The trace lines of the session whose trace mentions {@code needle}, without id and time, ports as PORT. */
    static List<String> trace(String log, String needle) {
        List<String> all = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (String line : log.split("\n")) {
            Matcher m = TRACE.matcher(line);
            if (!m.find()) continue;
            all.add(m.group(1) + " " + m.group(2));
            if (m.group(2).contains(needle) && !ids.contains(m.group(1))) ids.add(m.group(1));
        }
        List<String> out = new ArrayList<>();
        if (ids.isEmpty()) return out;
        for (String l : all) {
            if (l.startsWith(ids.get(0) + " ")) out.add(l.substring(ids.get(0).length() + 1).replaceAll(":\\d{2,5}\\b", ":PORT"));
        }
        return out;
    }

    @Test
    void imapLoginWithALiteralPasswordARetryAndLogout() throws Exception {
        try (Traced stage = Traced.start(", trace = true", ""); RawClient c = stage.client()) {
            c.exchange("a0 LOGIN alice wrongpw", "a0 NO", "a1 LOGIN alice {6}", "+ ", "secret", "a1 OK", "a2 LOGOUT", "* BYE");
            c.expect("a2 OK");
            stage.log().awaitLine(Duration.ofSeconds(5), "user=alice", "outcome=");
            List<String> expected = List.of(
                    "client -- imap session on listener imap (traced: listener imap)",
                    "client -- from 127.0.0.1:PORT",
                    "client S: * OK [CAPABILITY IMAP4rev1 LITERAL+ ID SASL-IR AUTH=PLAIN AUTH=LOGIN] trace.test IMAP proxy ready",
                    "client C: a0 LOGIN alice ***",
                    "backend -- connecting to 127.0.0.1:PORT",
                    "backend S: " + FakeBackends.IMAP_GREETING,
                    "backend C: mp1 LOGIN {5+}",
                    "backend C: *** {7+}",
                    "backend C: ***",
                    "backend S: mp1 " + FakeBackends.IMAP_REFUSED,
                    "backend -- login refused",
                    "client S: a0 " + FakeBackends.IMAP_REFUSED,
                    "client C: a1 LOGIN alice {6}",
                    "client S: + Ready for literal data",
                    "client C: ***",
                    "backend -- connecting to 127.0.0.1:PORT",
                    "backend S: " + FakeBackends.IMAP_GREETING,
                    "backend C: mp1 LOGIN {5+}",
                    "backend C: *** {6+}",
                    "backend C: ***",
                    "backend S: mp1 " + FakeBackends.IMAP_LOGGED_IN,
                    "backend -- login accepted",
                    "client S: a1 " + FakeBackends.IMAP_LOGGED_IN,
                    "relay -- relaying; the trace ends here (trace-relay-bytes = 0)");
            assertEquals(String.join("\n", expected), String.join("\n", trace(stage.log().text(), "imap session")));
            assertFalse(stage.log().text().contains("secret"), "a password in the log:\n" + stage.log().text());
            assertFalse(stage.log().text().contains("wrongpw"), "a password in the log:\n" + stage.log().text());
        }
    }

    @Test
    void saslIrAndAContinuationAreHiddenAndTheRelayShowsItsFirstBytes() throws Exception {
        String plain = java.util.Base64.getEncoder().encodeToString("\0alice\0secret".getBytes());
        try (Traced stage = Traced.start(", trace = true, trace-relay-bytes = 9", ""); RawClient c = stage.client()) {
            c.exchange("a1 AUTHENTICATE PLAIN", "+", plain, "a1 OK", "a2 NOOP", "a2 OK", "a3 LOGOUT", "* BYE");
            stage.log().awaitLine(Duration.ofSeconds(5), "session ended");
            stage.log().awaitLine(Duration.ofSeconds(5), "user=alice", "outcome=");
            List<String> t = trace(stage.log().text(), "imap session");
            int auth = t.indexOf("client C: a1 AUTHENTICATE PLAIN");
            assertTrue(auth > 0, String.join("\n", t));
            assertEquals(List.of("client C: a1 AUTHENTICATE PLAIN", "client S: + ", "client C: ***"), t.subList(auth, auth + 3));
            // 9 bytes each way: exactly "a2 NOOP\r\n" up, the first 9 bytes of the answer down
            int relay = t.indexOf("relay -- relaying; showing the first 9 bytes each way");
            assertTrue(relay > 0, String.join("\n", t));
            assertEquals(List.of("relay C: a2 NOOP", "relay -- client side: trace-relay-bytes shown", "relay S: a2 OK NOO",
                    "relay -- backend side: trace-relay-bytes shown"), t.subList(relay + 1, t.size() - 1));
            // who closes first after LOGOUT is a race
            assertTrue(t.get(t.size() - 1).matches("client -- session ended, outcome=(backend|client)-closed"), t.toString());
            assertFalse(stage.log().text().contains(plain), "the AUTH payload in the log");
            assertFalse(stage.log().text().contains("secret"), "a password in the log");
        }
    }

    @Test
    void aWatchedUserIsTracedFromTheFirstLineOthersNot() throws Exception {
        try (Traced stage = Traced.start("", "mailproxy.trace.users = [Alice]\n")) {
            for (String user : List.of("bob", "alice")) {
                try (RawClient c = stage.client()) {
                    c.line("a1 CAPABILITY");
                    c.expect("* CAPABILITY");
                    c.expect("a1 OK");
                    c.exchange("a2 LOGIN " + user + " secret", "a2 OK", "a3 LOGOUT", "* BYE");
                }
                stage.log().awaitLine(Duration.ofSeconds(5), "user=" + user, "outcome=");
            }
            List<String> alice = trace(stage.log().text(), "LOGIN alice");
            assertEquals("client -- imap session on listener imap", alice.get(0));
            assertTrue(alice.contains("client C: a1 CAPABILITY"), "the lines before the login are kept: " + alice);
            assertTrue(alice.contains("client C: a2 LOGIN alice ***"), alice.toString());
            assertTrue(trace(stage.log().text(), "LOGIN bob").isEmpty(), "bob is not traced:\n" + stage.log().text());
        }
    }

    @Test
    void aClientRangeSwitchedOnAtRunTime() throws Exception {
        try (Traced stage = Traced.start("", "")) {
            stage.proxy().server().trace().client("127.0.0.0/8", true);
            assertEquals("client 127.0.0.0/8 (admin)\n", stage.proxy().server().trace().describe());
            try (RawClient c = stage.client()) {
                c.line("a1 LOGOUT");
                c.expect("* BYE");
            }
            stage.log().awaitLine(Duration.ofSeconds(5), "traced: client switched on by the admin");
            stage.proxy().server().trace().client("127.0.0.0/8", false);
            assertEquals("", stage.proxy().server().trace().describe());
        }
    }

    /**
     * A client's NEL (U+0085), line separator (U+2028) and right-to-left override (U+202E),
     * as the UTF-8 bytes it sends, reach the trace as \xNN escapes: no log viewer breaks
     * the line there or shows the rest reversed (docs/SECURITY.md, "Log lines cannot be forged").
     */
    @Test
    void c1AndBidiBytesOfAClientAreEscapedInTheTrace() throws Exception {
        try (Traced stage = Traced.start(", trace = true", ""); RawClient c = stage.client()) {
            byte[] nel = {(byte) 0xc2, (byte) 0x85};
            byte[] ls = {(byte) 0xe2, (byte) 0x80, (byte) 0xa8};
            byte[] rlo = {(byte) 0xe2, (byte) 0x80, (byte) 0xae};
            java.io.ByteArrayOutputStream cmd = new java.io.ByteArrayOutputStream();
            cmd.writeBytes("a1 NOOP x".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            cmd.writeBytes(nel);
            cmd.writeBytes(ls);
            cmd.writeBytes(rlo);
            cmd.writeBytes("y\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            c.send(cmd.toByteArray());
            c.expect("a1 ");
            c.line("a2 LOGOUT");
            c.expect("* BYE");
            String traced = stage.log().awaitLine(Duration.ofSeconds(5), "client C: a1 NOOP");
            assertTrue(traced.contains("a1 NOOP x\\xc2\\x85\\xe2\\x80\\xa8\\xe2\\x80\\xaey"), traced);
            for (char ch : traced.toCharArray()) assertTrue(ch >= 0x20 && ch < 0x7f, "not printable ASCII: " + traced);
        }
    }
}
