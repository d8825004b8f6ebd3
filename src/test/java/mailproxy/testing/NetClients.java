package mailproxy.testing;

import java.io.IOException;
import org.apache.commons.net.SocketClient;

/** commons-net clients (real clients in front of the proxy or the fixture servers), with every wait bounded. */
public final class NetClients {
    /** For the connect and for every read. */
    public static final int TIMEOUT_MS = 10_000;

    private NetClients() {}

    /** {@code client} connected to host:port, with {@link #TIMEOUT_MS} for the connect and each read. */
    public static <T extends SocketClient> T connect(T client, String host, int port) throws IOException {
        client.setDefaultTimeout(TIMEOUT_MS);
        client.connect(host, port);
        client.setSoTimeout(TIMEOUT_MS);
        return client;
    }
}
