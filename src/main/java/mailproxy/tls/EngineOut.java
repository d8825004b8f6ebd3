package mailproxy.tls;

import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * The writing half of {@link EngineIo}: application data as TLS records, and what the engine
 * sends on its own (handshake flights, alerts, close_notify), under {@link #lock}. A write
 * gets a buffer for its own records and drops it when written: nothing is kept between calls
 * but the handshake's last flight, and that only until the next write or read.
 *
 * <p>The last flight of a handshake (the TLS 1.3 NewSessionTicket messages, RFC 8446 §4.6.1;
 * a TLS 1.2 server's ChangeCipherSpec and Finished, RFC 5246 §7.3) is held and goes out in
 * one write with the first application data: the greeting of implicit TLS, so one system
 * call and one TCP segment less per connection. The peer is never kept waiting for it: it
 * goes out before any read that may block ({@link #sendHeld}), and with the close_notify.
 */
final class EngineOut {
    /** RFC 8446 §5.1: plaintext per record. */
    private static final int MAX_PLAIN = 16_384;
    /** RFC 5246 §6.2.3: the most a TLS 1.2 record may add; TLS 1.3 adds at most 256. */
    private static final int MAX_RECORD = MAX_PLAIN + 2_048;
    /** Room per record for header, tag and padding when sizing a write's buffer. */
    private static final int OVERHEAD = 256;
    private static final int HEADER = 5;
    private static final byte[] NONE = new byte[0];
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    /** Held by every write, and by the reader when the engine must answer something. */
    final ReentrantLock lock = new ReentrantLock();
    private final SSLEngine engine;
    private final OutputStream rawOut;
    /** Under {@link #lock}. */
    private boolean outputDone;
    /** The handshake's last flight, not sent yet: under {@link #lock}. */
    private byte[] held = NONE;
    /** Whether {@link #held} has bytes; read without the lock by the reader. */
    private volatile boolean holding;

    EngineOut(SSLEngine engine, OutputStream rawOut) {
        this.engine = engine;
        this.rawOut = rawOut;
    }

    void write(byte[] b, int off, int len) throws IOException {
        lock.lock();
        try {
            if (outputDone) throw new SocketException("Socket output is shut down");
            ByteBuffer src = ByteBuffer.wrap(b, off, len);
            int plain = Math.min(len, 4 * MAX_PLAIN);
            ByteBuffer dst = withHeld(plain + (plain + MAX_PLAIN - 1) / MAX_PLAIN * OVERHEAD);
            while (src.hasRemaining()) {
                int need = Math.min(src.remaining(), MAX_PLAIN) + OVERHEAD;
                if (dst.remaining() < need) {
                    // Less than a record's worth in it: what the engine sent on its own
                    // before the data (BoringSSL writes its TLS 1.3 session tickets on the
                    // first write, RFC 8446 §4.6.1). The data joins it in one write.
                    if (dst.position() < MAX_PLAIN) dst = grown(dst, need);
                    else send(dst);
                }
                SSLEngineResult r = engine.wrap(src, dst);
                switch (r.getStatus()) {
                    case CLOSED -> throw new SocketException("TLS connection closed");
                    case BUFFER_OVERFLOW -> {
                        if (dst.position() > 0) send(dst);
                        else dst = ByteBuffer.allocate(dst.capacity() + MAX_RECORD);
                    }
                    default -> { }
                }
                if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) runTasks(engine);
                if (r.getStatus() == SSLEngineResult.Status.OK && r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
                    throw new SSLException("TLS engine wants a handshake in the middle of the session");
                }
            }
            send(dst);
        } finally {
            lock.unlock();
        }
    }

    /** {@code dst}'s bytes with {@code room} more after them. */
    private static ByteBuffer grown(ByteBuffer dst, int room) {
        ByteBuffer bigger = ByteBuffer.allocate(dst.position() + room);
        return bigger.put(dst.array(), 0, dst.position());
    }

    /** A buffer of {@code room} bytes after the held flight, which it takes over. */
    private ByteBuffer withHeld(int room) {
        if (!holding) return ByteBuffer.allocate(room);
        ByteBuffer dst = ByteBuffer.allocate(held.length + room);
        dst.put(held);
        held = NONE;
        holding = false;
        return dst;
    }

    private void send(ByteBuffer dst) throws IOException {
        if (dst.position() > 0) rawOut.write(dst.array(), 0, dst.position());
        dst.clear();
    }

    /** Sends what the engine has to send on its own (alert, close_notify, a KeyUpdate's answer); the caller holds {@link #lock}. */
    HandshakeStatus flush() throws IOException {
        return flush(false);
    }

    /**
     * Sends what the engine has to send on its own; the caller holds {@link #lock}. With
     * {@code holdLast}, a flight after which the handshake is over is held instead (see
     * the class comment).
     */
    HandshakeStatus flush(boolean holdLast) throws IOException {
        ByteBuffer dst = withHeld(MAX_RECORD + HEADER);
        while (true) {
            SSLEngineResult r = engine.wrap(EMPTY, dst);
            if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                if (dst.position() == 0) dst = ByteBuffer.allocate(dst.capacity() * 2);
                send(dst);
                continue;
            }
            HandshakeStatus hs = r.getHandshakeStatus();
            if (hs == HandshakeStatus.NEED_TASK) hs = runTasks(engine);
            if (hs != HandshakeStatus.NEED_WRAP) {
                boolean over = hs == HandshakeStatus.FINISHED || hs == HandshakeStatus.NOT_HANDSHAKING;
                if (holdLast && over && dst.position() > 0) {
                    held = Arrays.copyOf(dst.array(), dst.position());
                    holding = true;
                } else {
                    send(dst);
                }
                return hs;
            }
            if (r.bytesProduced() == 0) throw new SSLException("TLS engine wants to send but has nothing");
        }
    }

    /**
     * Sends the held flight before a read that may block: the peer may be waiting for it
     * (a STARTTLS client speaks first). If a writer has the lock, its write carries the
     * flight, and the reader need not wait for it.
     */
    void sendHeld() throws IOException {
        if (!holding || !lock.tryLock()) return;
        try {
            if (!holding) return;
            byte[] b = held;
            held = NONE;
            holding = false;
            rawOut.write(b, 0, b.length);
        } finally {
            lock.unlock();
        }
    }

    static HandshakeStatus runTasks(SSLEngine engine) {
        for (Runnable task; (task = engine.getDelegatedTask()) != null; ) task.run();
        return engine.getHandshakeStatus();
    }

    /** A failed handshake's alert, if the engine has one and the peer still listens. */
    void sendAlertQuietly() {
        try {
            ByteBuffer dst = withHeld(MAX_RECORD + HEADER);
            for (int i = 0; i < 4; i++) {
                SSLEngineResult r = engine.wrap(EMPTY, dst);
                if (r.bytesProduced() == 0) break;
            }
            send(dst);
        } catch (IOException | RuntimeException e) {
            // The handshake already failed; its own error is the one to report.
        }
    }

    /** close_notify + the end of writing (TLS 1.3 half-close; RFC 8446 §6.1). */
    void shutdownOutput() throws IOException {
        lock.lock();
        try {
            if (outputDone) return;
            outputDone = true;
            engine.closeOutbound();
            flush();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The close_notify of a close (with the held flight, if any), only if no write is under
     * way: a writer stalled on a full window holds the lock, and the close must not wait for it.
     */
    void closeNotifyIfFree() {
        if (!lock.tryLock()) return;
        try {
            if (outputDone) return;
            outputDone = true;
            engine.closeOutbound();
            flush();
        } catch (IOException | RuntimeException e) {
            // Closing anyway.
        } finally {
            lock.unlock();
        }
    }
}
