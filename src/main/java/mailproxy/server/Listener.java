package mailproxy.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import mailproxy.config.Protocol;
import mailproxy.session.LiveSession;
import mailproxy.wire.Addresses;
import mailproxy.wire.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One listening socket and its accept loop. A connection permit is taken before accept()
 * (so past max-connections clients wait in the backlog, costing nothing) and released in
 * exactly one finally, when the session's thread ends.
 */
final class Listener {
    private static final Logger log = LoggerFactory.getLogger(Listener.class);
    private static final Logger sessionLog = LoggerFactory.getLogger("mailproxy.session");

    /**
     * First size of a client's line buffer: a command before login is tens of bytes, and
     * most connections never send a longer one (it grows when one does, up to
     * limits.line-length); 1 KB was a tenth of what a short connection allocated.
     */
    private static final int LINE_BUFFER = 256;

    private final Protocol protocol;
    /** The address as the config gave it (a reload keeps this listener if it is unchanged). */
    private final InetSocketAddress requested;
    private final ServerSocket socket;
    /**
     * The address every connection accepted here has as its local one, when the listener
     * is bound to a single address (not a wildcard): known without a getsockname per session.
     */
    private final InetSocketAddress fixedLocal;
    private final Semaphore permits;
    private final AtomicLong ids;
    private final Sessions sessions;
    /** Settings, router and protocol for new connections; a reload swaps it. */
    private volatile Binding binding;
    private volatile boolean open = true;

    Listener(InetSocketAddress address, Protocol protocol, Semaphore permits, AtomicLong ids, Sessions sessions)
            throws IOException {
        this.protocol = protocol;
        this.requested = address;
        this.permits = permits;
        this.ids = ids;
        this.sessions = sessions;
        this.socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(address, 1024);
        InetSocketAddress bound = address();
        this.fixedLocal = bound.getAddress().isAnyLocalAddress() ? null : bound;
    }

    InetSocketAddress address() { return (InetSocketAddress) socket.getLocalSocketAddress(); }

    Protocol protocol() { return protocol; }

    InetSocketAddress requested() { return requested; }

    /** The listener's name in the config in force. */
    String name() { return binding.listener().name(); }

    /** What connections accepted from now on are served with. */
    void serveWith(Binding b) { this.binding = b; }

    void start() {
        Thread.ofVirtual().name(protocol.id() + " accept " + Addresses.hostPort(address())).start(this::acceptLoop);
    }

    private void acceptLoop() {
        long lastComplaint = 0;
        while (open) {
            try {
                permits.acquire();
            } catch (InterruptedException e) {
                return;
            }
            Socket s;
            try {
                s = socket.accept();
            } catch (IOException e) {
                permits.release();
                if (!open) return;
                // e.g. EMFILE "Too many open files": keep serving the sessions we have,
                // complain at most once a second, and try again shortly.
                long now = System.nanoTime();
                if (now - lastComplaint > TimeUnit.SECONDS.toNanos(1)) {
                    log.warn("accept on {} failed: {}", Addresses.hostPort(address()), e.getMessage());
                    lastComplaint = now;
                }
                sleepQuietly(50);
                continue;
            } catch (Throwable t) { // an Error (OutOfMemoryError, ...): the listener must live on
                permits.release();
                if (!open) return;
                log.error("accept on {} failed: ", Addresses.hostPort(address()), t);
                sleepQuietly(50);
                continue;
            }
            start(s);
        }
    }

    /** One virtual thread for the connection; the permit goes with it. */
    private void start(Socket s) {
        long id = ids.incrementAndGet();
        try {
            Thread.ofVirtual().name(threadName(s, id)).start(() -> serve(s, id));
        } catch (Throwable t) { // OutOfMemoryError from thread creation: shed this one
            permits.release();
            closeQuietly(s);
            log.warn("cannot start session thread: {}", t.toString());
        }
    }

    private String threadName(Socket s, long id) {
        return protocol.id() + " " + Addresses.hostPort((InetSocketAddress) s.getRemoteSocketAddress()) + " #" + id;
    }

    /**
     * The connection's whole life. The permit is released in the outermost finally, before
     * the log line is written: a stalled log sink must not hold connection permits.
     */
    private void serve(Socket s, long id) {
        LiveSession session = null;
        try {
            s.setTcpNoDelay(true); // SO_KEEPALIVE only once it relays (LiveSession.relay)
            Binding b = binding;
            Connection client = new Connection(s, LINE_BUFFER);
            if (fixedLocal != null) client.localKnown(fixedLocal);
            session = new LiveSession(id, b.config(), b.listener(), b.router(), b.guard(), client,
                    sessions.watchdog(), b.meters(), b.trace());
            sessions.add(session);
            session.run(b.protocol());
        } catch (IOException | RuntimeException | Error e) {
            log.warn("cannot set up session: {}", e.toString());
        } finally {
            try {
                if (session != null) {
                    session.closeAll();
                    sessions.remove(session);
                } else {
                    closeQuietly(s);
                }
            } finally {
                permits.release();
            }
        }
        if (session != null) sessionLog.info(session.logLine());
    }

    void close() {
        open = false;
        closeQuietly(socket);
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing left to do
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
