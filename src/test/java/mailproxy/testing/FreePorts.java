package mailproxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

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

    /** A loopback port nobody listens on (bound, then released): a backend that is down. */
    public static int closedPort() {
        return allocate(1)[0];
    }
}
