package mailproxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Free TCP ports on 127.0.0.1 for servers that cannot be told "port 0" (Dovecot, Postfix).
 * The ports are free when returned; another process could take one before the server binds
 * it, so the fixtures check the server's greeting and retry with fresh ports.
 */
public final class FreePorts {
    private FreePorts() {}

    /** {@code count} distinct free ports: all sockets stay open until every port is known. */
    public static int[] allocate(int count) {
        List<ServerSocket> sockets = new ArrayList<>(count);
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                sockets.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find free loopback ports", e);
        } finally {
            for (ServerSocket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // a failed close of an unused listener changes nothing for the caller
                }
            }
        }
    }

    /**
     * A loopback port nobody listens on, and nobody can: a socket bound to it (never listening,
     * never connected) holds it for the rest of the test JVM, so a connect to it is refused at
     * once. A port merely bound and released (as before) sits in the ephemeral range: a later
     * bind(0) may take it, and the kernel may even pick it as the source port of the connect
     * to it, which then connects to itself (TCP simultaneous open) and waits for a greeting
     * that never comes; one CI run failed that way. The kernel skips explicitly bound ports
     * for both.
     */
    public static int closedPort() {
        try {
            Socket holder = new Socket();
            holder.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            HELD.add(holder);
            return holder.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hold a closed loopback port", e);
        }
    }

    /** Sockets holding closed ports; they live as long as the test JVM (a few dozen at most). */
    private static final List<Socket> HELD = new CopyOnWriteArrayList<>();
}
