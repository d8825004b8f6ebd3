package mailproxy.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.List;
import javax.net.ssl.HandshakeCompletedListener;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import io.netty.util.ReferenceCounted;

/**
 * An {@link SSLSocket} that runs an {@link SSLEngine} over an accepted, blocking plain
 * socket, so that everything above it (the session's {@code Connection}, the relay,
 * STARTTLS, {@link TlsFacts}) works the same whichever {@link TlsProvider} made it. The
 * record work, the buffers and the two locks live in {@link EngineIo}; this class is the
 * socket face: the plain socket's settings pass through, the engine's TLS settings too.
 *
 * <p>Closing is safe from any thread and never waits for a stalled writer: the
 * close_notify is sent only if the write lock is free, then the plain socket is closed
 * (which wakes a blocked read or write) and the engine's native memory is released,
 * exactly once.
 */
final class EngineSocket extends SSLSocket {
    private final Socket plain;
    private final SSLEngine engine;
    private final EngineIo io;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final InputStream in;
    private final OutputStream out;

    EngineSocket(Socket plain, SSLEngine engine) throws IOException {
        this.plain = plain;
        this.engine = engine;
        this.io = new EngineIo(engine, plain.getInputStream(), plain.getOutputStream());
        this.in = new In();
        this.out = new Out();
    }

    /** The TCP socket under this one (tests close it as the watchdog does). */
    Socket plain() {
        return plain;
    }

    /** The engine (tests check that a close released it). */
    SSLEngine engine() {
        return engine;
    }

    @Override
    public void startHandshake() throws IOException {
        if (closed.get()) throw new SocketException("Socket is closed");
        io.handshake();
    }

    @Override
    public SSLSession getSession() {
        return engine.getSession();
    }

    @Override
    public SSLSession getHandshakeSession() {
        return engine.getHandshakeSession();
    }

    @Override
    public InputStream getInputStream() throws IOException {
        if (closed.get()) throw new SocketException("Socket is closed");
        return in;
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
        if (closed.get()) throw new SocketException("Socket is closed");
        return out;
    }

    /** close_notify, then the TCP half-close: the peer may still send (TLS 1.3, RFC 8446 §6.1). */
    @Override
    public void shutdownOutput() throws IOException {
        io.shutdownOutput();
        plain.shutdownOutput();
    }

    @Override
    public void shutdownInput() throws IOException {
        plain.shutdownInput();
    }

    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) return;
        try {
            io.closeNotifyIfFree();
        } finally {
            try {
                plain.close();
            } finally {
                // After the plain close: a reader or writer inside the engine finishes first
                // (the engine's methods hold its monitor) and then sees a released engine.
                if (engine instanceof ReferenceCounted rc) rc.release();
            }
        }
    }

    /**
     * Whether {@link #close} ran, not whether the plain socket is closed: a watchdog closes
     * the TCP socket under a stalled writer and then calls close, which must still release
     * the engine.
     */
    @Override
    public boolean isClosed() {
        return closed.get();
    }

    private final class In extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            return io.read(b, off, len);
        }

        /** Decrypted bytes waiting: a read of that many returns at once. */
        @Override
        public int available() {
            return io.available();
        }

        @Override
        public void close() throws IOException {
            EngineSocket.this.close();
        }
    }

    private final class Out extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            if (closed.get()) throw new SocketException("Socket is closed");
            io.write(b, off, len);
        }

        /** Every write goes out before it returns: nothing to flush. */
        @Override
        public void flush() {
        }

        @Override
        public void close() throws IOException {
            EngineSocket.this.close();
        }
    }

    // ---- the plain socket's face

    @Override public void connect(SocketAddress endpoint, int timeout) throws IOException {
        throw new SocketException("already connected");
    }
    @Override public void bind(SocketAddress bindpoint) throws IOException {
        throw new SocketException("already bound");
    }
    @Override public InetAddress getInetAddress() { return plain.getInetAddress(); }
    @Override public InetAddress getLocalAddress() { return plain.getLocalAddress(); }
    @Override public int getPort() { return plain.getPort(); }
    @Override public int getLocalPort() { return plain.getLocalPort(); }
    @Override public SocketAddress getRemoteSocketAddress() { return plain.getRemoteSocketAddress(); }
    @Override public SocketAddress getLocalSocketAddress() { return plain.getLocalSocketAddress(); }
    @Override public SocketChannel getChannel() { return null; }
    @Override public boolean isConnected() { return plain.isConnected(); }
    @Override public boolean isBound() { return plain.isBound(); }
    @Override public boolean isInputShutdown() { return plain.isInputShutdown(); }
    @Override public boolean isOutputShutdown() { return plain.isOutputShutdown(); }
    @Override public void setSoTimeout(int timeout) throws SocketException { plain.setSoTimeout(timeout); }
    @Override public int getSoTimeout() throws SocketException { return plain.getSoTimeout(); }
    @Override public void setTcpNoDelay(boolean on) throws SocketException { plain.setTcpNoDelay(on); }
    @Override public boolean getTcpNoDelay() throws SocketException { return plain.getTcpNoDelay(); }
    @Override public void setKeepAlive(boolean on) throws SocketException { plain.setKeepAlive(on); }
    @Override public boolean getKeepAlive() throws SocketException { return plain.getKeepAlive(); }
    @Override public void setSoLinger(boolean on, int linger) throws SocketException { plain.setSoLinger(on, linger); }
    @Override public int getSoLinger() throws SocketException { return plain.getSoLinger(); }
    @Override public void setSendBufferSize(int size) throws SocketException { plain.setSendBufferSize(size); }
    @Override public int getSendBufferSize() throws SocketException { return plain.getSendBufferSize(); }
    @Override public void setReceiveBufferSize(int size) throws SocketException { plain.setReceiveBufferSize(size); }
    @Override public int getReceiveBufferSize() throws SocketException { return plain.getReceiveBufferSize(); }
    @Override public <T> Socket setOption(SocketOption<T> name, T value) throws IOException {
        plain.setOption(name, value);
        return this;
    }
    @Override public <T> T getOption(SocketOption<T> name) throws IOException { return plain.getOption(name); }
    @Override public Set<SocketOption<?>> supportedOptions() { return plain.supportedOptions(); }

    // ---- the engine's face (its settings come from the context; these are for completeness)

    @Override public String[] getSupportedCipherSuites() { return engine.getSupportedCipherSuites(); }
    @Override public String[] getEnabledCipherSuites() { return engine.getEnabledCipherSuites(); }
    @Override public void setEnabledCipherSuites(String[] suites) { engine.setEnabledCipherSuites(suites); }
    @Override public String[] getSupportedProtocols() { return engine.getSupportedProtocols(); }
    @Override public String[] getEnabledProtocols() { return engine.getEnabledProtocols(); }
    @Override public void setEnabledProtocols(String[] protocols) { engine.setEnabledProtocols(protocols); }
    @Override public void setUseClientMode(boolean mode) { engine.setUseClientMode(mode); }
    @Override public boolean getUseClientMode() { return engine.getUseClientMode(); }
    @Override public void setNeedClientAuth(boolean need) { engine.setNeedClientAuth(need); }
    @Override public boolean getNeedClientAuth() { return engine.getNeedClientAuth(); }
    @Override public void setWantClientAuth(boolean want) { engine.setWantClientAuth(want); }
    @Override public boolean getWantClientAuth() { return engine.getWantClientAuth(); }
    @Override public void setEnableSessionCreation(boolean flag) { engine.setEnableSessionCreation(flag); }
    @Override public boolean getEnableSessionCreation() { return engine.getEnableSessionCreation(); }
    @Override public SSLParameters getSSLParameters() { return engine.getSSLParameters(); }
    @Override public void setSSLParameters(SSLParameters params) { engine.setSSLParameters(params); }
    @Override public String getApplicationProtocol() { return engine.getApplicationProtocol(); }
    @Override public String getHandshakeApplicationProtocol() { return engine.getHandshakeApplicationProtocol(); }
    @Override public void setHandshakeApplicationProtocolSelector(BiFunction<SSLSocket, List<String>, String> s) {
        throw new UnsupportedOperationException("ALPN is not used by the mail protocols");
    }
    @Override public void addHandshakeCompletedListener(HandshakeCompletedListener listener) {
        throw new UnsupportedOperationException("no handshake listeners: the handshake is synchronous");
    }
    @Override public void removeHandshakeCompletedListener(HandshakeCompletedListener listener) {
        throw new UnsupportedOperationException("no handshake listeners: the handshake is synchronous");
    }

    @Override
    public String toString() {
        return "EngineSocket[" + plain + "]";
    }
}
