package mailproxy.wire;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * The socket under a {@link Connection}: plain, or a TLS layer with the TCP socket under it
 * kept; its addresses; the end of its input.
 *
 * <p>The first of a {@link Connection}'s parts, each a class of its own over one object (no
 * object more per connection, no hop on a read or a write): this one, {@link Deadlines},
 * {@link WatchedWrites}, then {@link Connection} itself.
 */
abstract sealed class ConnectionSocket permits Deadlines {
    // volatile: close() may come from another thread (the relay's other direction, a stopping server)
    volatile Socket socket;
    private volatile InetSocketAddress remote;
    private volatile InetSocketAddress local;
    /** The TCP socket under a TLS layer; null while the connection is plain. */
    volatile Socket tcp;
    InputStream in;
    OutputStream out;
    /**
     * Set by {@link WatchedWrites#watchWrites}: who closes this socket when a write stalls,
     * and shuts its input under a line read past its deadline.
     */
    volatile Watchdog watchdog;

    ConnectionSocket(Socket socket) throws IOException {
        attach(socket);
    }

    private void attach(Socket s) throws IOException {
        this.socket = s;
        // asked once: each lookup is a system call (getpeername, getsockname); the local
        // address only when asked (a backend connection never is), and a TLS layer over the
        // same TCP socket keeps it
        this.remote = (InetSocketAddress) s.getRemoteSocketAddress();
        this.in = s.getInputStream();
        this.out = s.getOutputStream();
    }

    /** Puts {@code upgraded} (a TLS layer) over the socket, keeping the TCP socket under it. */
    final void layer(Socket upgraded) throws IOException {
        if (tcp == null) tcp = socket;
        attach(upgraded);
    }

    public final Socket socket() { return socket; }

    public final InetSocketAddress remote() { return remote; }

    /**
     * The local address when the caller knows it already (a listener bound to one address
     * accepts only on that address), so {@link #local()} makes no system call for it.
     */
    public final void localKnown(InetSocketAddress a) { local = a; }

    /** The local address, looked up on the first call; while the socket is open. */
    public final InetSocketAddress local() {
        InetSocketAddress l = local;
        if (l == null) local = l = (InetSocketAddress) socket.getLocalSocketAddress();
        return l;
    }

    public final InputStream input() { return in; }

    /**
     * Ends the input of a plain socket, so that a read parked on it returns end of input
     * (the relay's way to stop its other direction without an exception); the socket stays
     * open for {@link WatchedWrites#close()}. False, doing nothing, under TLS (shutting the
     * input under a TLS layer is not a TLS end) or when the socket is closed already.
     */
    public final boolean endInput() {
        if (tcp != null) return false;
        Socket s = socket;
        if (s.isClosed()) return false;
        if (s.isInputShutdown()) return true; // reads end already (the watchdog ended one)
        try {
            s.shutdownInput();
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false; // closed already: nothing parks on it
        }
    }

    static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing is best effort; the peer is gone either way
        }
    }
}
