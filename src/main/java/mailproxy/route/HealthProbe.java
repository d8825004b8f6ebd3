package mailproxy.route;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import mailproxy.config.Backend;
import mailproxy.config.Protocol;
import mailproxy.tls.TlsClient;
import mailproxy.wire.Connection;
import mailproxy.wire.LogSafe;

/**
 * One active check of one server and port, as cheap as a check can be and still mean the
 * server takes logins: connect, [PROXY header], [TLS handshake], read the greeting, say
 * goodbye the protocol's way (so the server logs a clean logout, not a reset), close.
 */
final class HealthProbe {
    private HealthProbe() {}

    /** ok: the server greeted; reason: what happened, for the up/down log line. */
    record Result(boolean ok, String reason) {}

    /** Lines read after our goodbye before we close anyway. */
    private static final int MAX_GOODBYE_LINES = 8;
    /** Continuation lines of a multi-line SMTP greeting we read before giving up. */
    private static final int MAX_GREETING_LINES = 100;

    /**
     * PROXY protocol v2 header with the LOCAL command (haproxy.org proxy-protocol.txt §2.2):
     * "the connection was established on purpose by the proxy without being relayed", a
     * health check. 12-byte signature, version 2 + LOCAL, family UNSPEC, no addresses.
     */
    static final byte[] PROXY_V2_LOCAL = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
            0x20, 0x00, 0x00, 0x00};
    /** Version 1's form for a connection that relays no client (proxy-protocol.txt §2.1). */
    static final String PROXY_V1_UNKNOWN = "PROXY UNKNOWN\r\n";

    static Result probe(Target t, Protocol p, Backend.Health h, Duration connectTimeout, int maxLine) {
        Connection c;
        try {
            c = BackendDialer.connect(t, connectTimeout, h.timeout());
        } catch (ConnectException e) {
            return new Result(false, "connect refused");
        } catch (SocketTimeoutException e) {
            return new Result(false, "connect timed out after " + PoolServer.human(connectTimeout));
        } catch (IOException e) {
            return new Result(false, "connect failed: " + LogSafe.text(e.getMessage()));
        }
        try (c) {
            switch (t.options().proxyProtocol(p)) {
                case V1 -> c.write(PROXY_V1_UNKNOWN);
                case V2 -> c.write(PROXY_V2_LOCAL);
                case OFF -> { }
            }
            if (t.options().tls(p) == Backend.Tls.IMPLICIT) {
                // without the handshake an implicit-TLS server says nothing: connecting is all we learn
                if (!h.tls()) return new Result(true, "connected (TLS not checked)");
                TlsClient client = t.options().tlsClient();
                if (client == null) return new Result(false, "TLS: no TLS client settings");
                try {
                    c.replaceSocket(client.handshake(c.socket(), h.timeout()));
                } catch (IOException e) {
                    String m = LogSafe.text(e.getMessage());
                    return new Result(false, m.startsWith("TLS") ? m : "TLS: " + m);
                }
            }
            String greeting;
            try {
                greeting = greeting(c, p, maxLine);
            } catch (SocketTimeoutException e) {
                return new Result(false, "no greeting in " + PoolServer.human(h.timeout()));
            }
            if (greeting == null) return new Result(false, "closed before greeting");
            if (!greets(greeting, p)) return new Result(false, "greeting: " + LogSafe.backendLine(greeting));
            goodbye(c, p);
            return new Result(true, "greeted");
        } catch (IOException e) {
            return new Result(false, "greeting: " + LogSafe.text(e.toString()));
        }
    }

    /**
     * The first greeting line that does not say more follow: for SMTP and LMTP the last line
     * of a multi-line 220 (RFC 5321 §4.2.1); for ManageSieve the line after the capability
     * lines (RFC 5804 §1.7: capabilities, then OK).
     */
    private static String greeting(Connection c, Protocol p, int maxLine) throws IOException {
        String line = c.readLine(maxLine);
        for (int i = 0; line != null && i < MAX_GREETING_LINES && continues(line, p); i++) {
            line = c.readLine(maxLine);
        }
        return line;
    }

    private static boolean continues(String line, Protocol p) {
        return p.spec().health().continues().test(line);
    }

    /** The protocol's greeting that says the server takes logins (see config.Protocol for each). */
    static boolean greets(String line, Protocol p) {
        return p.spec().health().greets().test(line);
    }

    /** LOGOUT / QUIT, then read the answer to its end, bounded by lines and health.timeout. */
    private static void goodbye(Connection c, Protocol p) {
        try {
            c.write(p.spec().health().goodbye() + "\r\n");
            for (int i = 0; i < MAX_GOODBYE_LINES && c.readLine(512) != null; i++) {
                // the server closes after its answer; we only wait for that
            }
        } catch (IOException e) {
            // the server already greeted: a rough goodbye does not make it unhealthy
        }
    }
}
