package mailproxy.route;

import java.io.IOException;
import java.net.Proxy;
import java.net.Socket;
import java.time.Duration;
import mailproxy.wire.Connection;

/** Opens the TCP connection to a backend, bounded by connect-timeout. */
public final class BackendDialer {
    private BackendDialer() {}

    public static Connection connect(Target t, Duration connectTimeout, Duration readTimeout) throws IOException {
        // Proxy.NO_PROXY: the JDK's plain socket, without the SOCKS layer a new Socket()
        // wraps it in, which asks the proxy selector and parses a URI on every connect
        // (a backend is always reached directly; bench/RESULTS.md, "Issue 22 ... third pass")
        Socket s = new Socket(Proxy.NO_PROXY);
        try {
            s.setTcpNoDelay(true); // Nagle plus delayed ACKs stall each SMTP reply ~40 ms (nginx 1.22 has no TCP_NODELAY here)
            s.setKeepAlive(true);
            s.connect(t.address(), (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
            Connection c = new Connection(s, 4096);
            c.readTimeout(readTimeout);
            return c;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }
}
