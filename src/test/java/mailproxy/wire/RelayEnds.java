package mailproxy.wire;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The four ends of a relay over loopback, fresh for each test:
 * {@code @RegisterExtension final RelayEnds ends = new RelayEnds();}. The test plays the
 * mail client on {@link #clientEnd()} and the mail server on {@link #backendEnd()} (both
 * reads time out after 10 s); the relay under test gets {@link #client()} and
 * {@link #backend()}, the proxy's two sides. All closed after the test.
 */
final class RelayEnds implements BeforeEachCallback, AfterEachCallback {
    private ServerSocket server;
    private Socket clientEnd;
    private Socket backendEnd;
    private Connection client;
    private Connection backend;

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
        clientEnd = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        client = new Connection(server.accept(), 1024);
        Socket b = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        backendEnd = server.accept();
        backend = new Connection(b, 1024);
        clientEnd.setSoTimeout(10_000);
        backendEnd.setSoTimeout(10_000);
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        if (clientEnd != null) clientEnd.close();
        if (backendEnd != null) backendEnd.close();
        if (server != null) server.close();
    }

    /** The mail client. */
    Socket clientEnd() {
        return clientEnd;
    }

    /** The mail server. */
    Socket backendEnd() {
        return backendEnd;
    }

    /** The proxy's side towards the client. */
    Connection client() {
        return client;
    }

    /** The proxy's side towards the backend. */
    Connection backend() {
        return backend;
    }
}
