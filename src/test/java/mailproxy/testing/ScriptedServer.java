package mailproxy.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake backend (or any TCP peer) on a loopback port: each accepted connection runs the
 * script on its own virtual thread with a {@link RawClient} around the socket. Script
 * failures are kept and rethrown by {@link #close()} so a test cannot miss them.
 */
public final class ScriptedServer implements AutoCloseable {
    /** What the fake server does with one connection. */
    @FunctionalInterface
    public interface Script {
        void run(RawClient peer) throws Exception;
    }

    private final ServerSocket server;
    private final Script script;
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger running = new AtomicInteger();
    private volatile boolean closing;

    public ScriptedServer(Script script) throws IOException {
        this.script = script;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("scripted-server").start(this::acceptLoop);
    }

    public int port() { return server.getLocalPort(); }

    public int accepted() { return accepted.get(); }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return;
            }
            accepted.incrementAndGet();
            sockets.add(s);
            running.incrementAndGet();
            Thread.ofVirtual().start(() -> {
                try (RawClient peer = new RawClient(s)) {
                    script.run(peer);
                } catch (java.net.SocketException e) {
                    // a script still reading when the test closes the server is not a failure
                    if (!closing) failures.add(e);
                } catch (Throwable t) {
                    failures.add(t);
                } finally {
                    running.decrementAndGet();
                }
            });
        }
    }

    public List<Throwable> failures() { return failures; }

    @Override
    public void close() throws IOException {
        server.close();
        // let scripts that are finishing (reading the peer's close) end on their own first
        Await.until(java.time.Duration.ofSeconds(1), () -> running.get() == 0);
        closing = true;
        for (Socket s : sockets) s.close();
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError("scripted server failed: " + failures.get(0), failures.get(0));
            throw e;
        }
    }
}
