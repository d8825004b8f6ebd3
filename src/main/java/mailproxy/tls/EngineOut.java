package mailproxy.tls;

import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * The writing half of {@link EngineIo}: application data as TLS records, and what the engine
 * sends on its own (handshake flights, alerts, close_notify), under {@link #lock}. A write
 * gets a buffer for its own records and drops it when written: nothing is kept between calls.
 * What the engine sends on its own at the start of a write goes out with the write's data.
 *
 * <p>The handshake's flights are sent as they come, never held for a later write: a TLS 1.2
 * client waits for the server's Finished (RFC 5246 §7.4.9) and must not wait on whatever
 * the session does before its first read or write.
 */
final class EngineOut {
    /** RFC 8446 §5.1: plaintext per record. */
    private static final int MAX_PLAIN = 16_384;
    /** RFC 5246 §6.2.3: the most a TLS 1.2 record may add; TLS 1.3 adds at most 256. */
    private static final int MAX_RECORD = MAX_PLAIN + 2_048;
    /** Room per record for header, tag and padding when sizing a write's buffer. */
    private static final int OVERHEAD = 256;
    private static final int HEADER = 5;
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    /** Held by every write, and by the reader when the engine must answer something. */
    final ReentrantLock lock = new ReentrantLock();
    private final SSLEngine engine;
    private final OutputStream rawOut;
    /** Under {@link #lock}. */
    private boolean outputDone;

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
            ByteBuffer dst = ByteBuffer.allocate(plain + (plain + MAX_PLAIN - 1) / MAX_PLAIN * OVERHEAD);
            while (src.hasRemaining()) {
                int need = Math.min(src.remaining(), MAX_PLAIN) + OVERHEAD;
                if (dst.remaining() < need) {
                    // Less than a record's worth in it: what the engine sent on its own
                    // before the data. BoringSSL writes its TLS 1.3 session tickets (RFC 8446
                    // §4.6.1) on the first write after the handshake: with the greeting of
                    // implicit TLS, in one system call and one TCP segment with it.
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

    private void send(ByteBuffer dst) throws IOException {
        if (dst.position() > 0) rawOut.write(dst.array(), 0, dst.position());
        dst.clear();
    }

    /** Sends what the engine has to send on its own (handshake flight, alert, close_notify); the caller holds {@link #lock}. */
    HandshakeStatus flush() throws IOException {
        ByteBuffer dst = ByteBuffer.allocate(MAX_RECORD + HEADER);
        while (true) {
            SSLEngineResult r = engine.wrap(EMPTY, dst);
            if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                if (dst.position() == 0) dst = ByteBuffer.allocate(dst.capacity() * 2);
                send(dst);
                continue;
            }
            send(dst);
            HandshakeStatus hs = r.getHandshakeStatus();
            if (hs == HandshakeStatus.NEED_TASK) hs = runTasks(engine);
            if (hs != HandshakeStatus.NEED_WRAP) return hs;
            if (r.bytesProduced() == 0) throw new SSLException("TLS engine wants to send but has nothing");
        }
    }

    static HandshakeStatus runTasks(SSLEngine engine) {
        for (Runnable task; (task = engine.getDelegatedTask()) != null; ) task.run();
        return engine.getHandshakeStatus();
    }

    /** A failed handshake's alert, if the engine has one and the peer still listens. */
    void sendAlertQuietly() {
        try {
            ByteBuffer dst = ByteBuffer.allocate(MAX_RECORD + HEADER);
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
     * The close_notify of a close, only if no write is under way: a writer stalled on a
     * full window holds the lock, and the close must not wait for it.
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
