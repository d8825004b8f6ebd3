package mailproxy.tls;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * TLS records between an {@link SSLEngine} and a blocking plain socket's streams: the
 * handshake, reads and writes for {@link EngineSocket}.
 *
 * <p>One reader and one writer may run at once (the relay does): reads hold
 * {@code readLock}, writes the lock of {@link EngineOut} (the writing half), the handshake
 * both. The engine's own calls are short and never wait for the network. A read that unwraps something the engine must
 * answer (a TLS 1.3 KeyUpdate, RFC 8446 §4.6.3; an alert) takes the write lock to send it.
 *
 * <p>Memory: an idle session waits in its read on a {@value #IDLE_NET}-byte buffer. Larger
 * records get a buffer of their size while they last, a write gets a buffer for its own
 * records and drops it when written, and decrypted bytes that do not fit the caller's
 * array wait in one that is dropped when drained. The handshake reads into a
 * {@value #HANDSHAKE_NET}-byte buffer, dropped when it ends. Nothing else is kept between calls.
 */
final class EngineIo {
    /** What an idle read waits on: holds the record of any ordinary command. */
    static final int IDLE_NET = 512;
    /**
     * What the handshake reads into: a ClientHello in one read. A resuming client's carries
     * its ticket (RFC 8446 §4.2.11) and is larger than {@link #IDLE_NET}; one with a
     * post-quantum key share is about 2 KB.
     */
    static final int HANDSHAKE_NET = 4_096;
    /** What a read of large records uses while they flow. */
    static final int BULK_NET = 2 * (16_384 + 256);
    /** RFC 8446 §5.1: plaintext per record. */
    private static final int MAX_PLAIN = 16_384;
    /** RFC 5246 §6.2.3: the most a TLS 1.2 record may add; TLS 1.3 adds at most 256. */
    private static final int MAX_RECORD = MAX_PLAIN + 2_048;
    private static final int HEADER = 5;
    private static final byte[] NONE = new byte[0];
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final SSLEngine engine;
    private final InputStream rawIn;
    private final EngineOut out;
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock writeLock;

    // reader's state, under readLock
    /** Records received and not yet unwrapped: net[netPos..netLim). */
    private byte[] net = NONE;
    private int netPos;
    private int netLim;
    /** Decrypted bytes not yet read: app[appPos..appLim). */
    private byte[] app = NONE;
    private int appPos;
    private int appLim;
    private volatile int available;
    private boolean inputDone;
    /** In {@link #handshake}: the read buffer stays {@link #HANDSHAKE_NET} bytes. */
    private boolean handshaking;

    EngineIo(SSLEngine engine, InputStream rawIn, OutputStream rawOut) {
        this.engine = engine;
        this.rawIn = rawIn;
        this.out = new EngineOut(engine, rawOut);
        this.writeLock = out.lock;
    }

    /** Runs the handshake to its end; any failure leaves the engine unusable. */
    void handshake() throws IOException {
        readLock.lock();
        writeLock.lock();
        try {
            handshaking = true;
            if (net.length < HANDSHAKE_NET) net = Arrays.copyOf(net, HANDSHAKE_NET);
            engine.beginHandshake();
            HandshakeStatus hs = engine.getHandshakeStatus();
            while (hs != HandshakeStatus.FINISHED && hs != HandshakeStatus.NOT_HANDSHAKING) {
                hs = switch (hs) {
                    case NEED_WRAP -> out.flush();
                    case NEED_TASK -> EngineOut.runTasks(engine);
                    default -> handshakeUnwrap();
                };
            }
            if (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) out.flush();
        } catch (SSLException e) {
            out.sendAlertQuietly();
            throw e;
        } finally {
            handshaking = false;
            if (netPos == netLim) {
                netPos = netLim = 0;
                net = NONE; // the next read takes an idle buffer
            }
            writeLock.unlock();
            readLock.unlock();
        }
    }

    /** One record of the handshake, read first if it is not all here. */
    private HandshakeStatus handshakeUnwrap() throws IOException {
        int rec = recordLength();
        if (rec < 0 || netLim - netPos < rec) {
            // netty's engine sees the handshake finish only when it is called again: the
            // last record (a TLS 1.3 client's Finished) completes it inside SSL_read, and the
            // engine still says NEED_UNWRAP. An empty unwrap lets it look before we wait for
            // bytes the client will never send.
            HandshakeStatus hs = engine.unwrap(EMPTY, appBuffer(0)).getHandshakeStatus();
            trimApp();
            if (hs != HandshakeStatus.NEED_UNWRAP && hs != HandshakeStatus.NEED_UNWRAP_AGAIN) return hs;
            if (!fill(rec)) throw new EOFException("peer closed the connection");
            return engine.getHandshakeStatus();
        }
        SSLEngineResult r = unwrapInto(appBuffer(rec - HEADER));
        trimApp();
        if (r.getStatus() == SSLEngineResult.Status.CLOSED) throw new EOFException("peer closed the connection");
        // A whole record the engine did not take: never spin on it, wait for more (bounded
        // by the handshake's deadline).
        if (r.bytesConsumed() == 0 && r.getHandshakeStatus() == HandshakeStatus.NEED_UNWRAP && !fill(-1)) {
            throw new EOFException("peer closed the connection");
        }
        return engine.getHandshakeStatus();
    }

    /** An empty plaintext buffer is not kept. */
    private void trimApp() {
        if (appPos == appLim) {
            app = NONE;
            appPos = appLim = 0;
        }
    }

    int available() {
        return available;
    }

    /** As InputStream.read: -1 after the peer's close_notify or a clean end of the connection. */
    int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        readLock.lock();
        try {
            while (true) {
                if (appPos < appLim) return fromApp(b, off, len);
                if (inputDone) return -1;
                int rec = recordLength();
                if (rec < 0 || netLim - netPos < rec) {
                    if (!fill(rec)) {
                        inputDone = true;
                        if (netLim > netPos) throw new SSLException("peer closed the connection inside a TLS record");
                        return -1;
                    }
                    continue;
                }
                if (len < rec - HEADER) {
                    tookSome(unwrapInto(appBuffer(rec - HEADER)));
                    trimApp();
                    continue;
                }
                // Straight into the caller's array, as many whole records as fit.
                int n = 0;
                do {
                    SSLEngineResult r = unwrapInto(ByteBuffer.wrap(b, off + n, len - n));
                    tookSome(r);
                    n += r.bytesProduced();
                    rec = recordLength();
                } while (!inputDone && rec > 0 && netLim - netPos >= rec && len - n >= rec - HEADER);
                if (n > 0) return n;
            }
        } finally {
            readLock.unlock();
        }
    }

    /** A whole record the engine did not take would be offered again and again: never spin on it. */
    private static void tookSome(SSLEngineResult r) throws SSLException {
        if (r.bytesConsumed() == 0 && r.getStatus() == SSLEngineResult.Status.OK) {
            throw new SSLException("TLS engine took no bytes of a whole record");
        }
    }

    private int fromApp(byte[] b, int off, int len) {
        int n = Math.min(len, appLim - appPos);
        System.arraycopy(app, appPos, b, off, n);
        appPos += n;
        if (appPos == appLim) {
            app = NONE;
            appPos = appLim = 0;
        }
        available = appLim - appPos;
        return n;
    }

    /** Room for {@code size} more decrypted bytes after those waiting. */
    private ByteBuffer appBuffer(int size) {
        if (app.length - appLim < size) {
            byte[] bigger = new byte[appLim - appPos + size];
            System.arraycopy(app, appPos, bigger, 0, appLim - appPos);
            appLim -= appPos;
            appPos = 0;
            app = bigger;
        }
        return ByteBuffer.wrap(app, appLim, app.length - appLim);
    }

    /** Unwraps the record at netPos into {@code dst}; answers what the engine must answer. */
    private SSLEngineResult unwrapInto(ByteBuffer dst) throws IOException {
        ByteBuffer src = ByteBuffer.wrap(net, netPos, netLim - netPos);
        SSLEngineResult r = engine.unwrap(src, dst);
        netPos += r.bytesConsumed();
        if (netPos == netLim) {
            netPos = netLim = 0;
            if (net.length > IDLE_NET && !handshaking) net = new byte[IDLE_NET]; // the big record is done
        }
        if (dst.array() == app) {
            appLim += r.bytesProduced();
            available = appLim - appPos;
        }
        switch (r.getStatus()) {
            case CLOSED -> inputDone = true; // close_notify (the engine answers with its own)
            case BUFFER_OVERFLOW -> throw new SSLException("TLS record larger than announced");
            case BUFFER_UNDERFLOW -> throw new SSLException("TLS record cut short");
            case OK -> { }
        }
        HandshakeStatus hs = r.getHandshakeStatus();
        if (hs == HandshakeStatus.NEED_TASK) hs = EngineOut.runTasks(engine);
        if (hs == HandshakeStatus.NEED_WRAP && !writeLock.isHeldByCurrentThread()) {
            writeLock.lock();
            try {
                out.flush();
            } finally {
                writeLock.unlock();
            }
        }
        return r;
    }

    /**
     * Length of the record at netPos, header included, or -1 while its header is incomplete
     * (RFC 8446 §5.1: type, legacy version 3.x, length).
     */
    private int recordLength() throws SSLException {
        if (netLim - netPos < HEADER) return -1;
        int type = net[netPos] & 0xFF;
        if (type < 20 || type > 24 || net[netPos + 1] != 3) {
            throw new SSLHandshakeException("not an SSL/TLS record");
        }
        int len = (net[netPos + 3] & 0xFF) << 8 | net[netPos + 4] & 0xFF;
        if (len > MAX_RECORD) throw new SSLException("TLS record too long: " + len + " bytes");
        return HEADER + len;
    }

    /** Reads more of the record at netPos ({@code rec} its length, or -1 unknown); false at EOF. */
    private boolean fill(int rec) throws IOException {
        if (netPos > 0) {
            System.arraycopy(net, netPos, net, 0, netLim - netPos);
            netLim -= netPos;
            netPos = 0;
        }
        int want = Math.max(rec, netLim + 1);
        if (net.length < want) {
            // A large record means data is flowing: room for two, so one read may take more.
            net = Arrays.copyOf(net, rec > IDLE_NET ? Math.max(rec, BULK_NET) : Math.max(IDLE_NET, net.length * 2));
        }
        int n = rawIn.read(net, netLim, net.length - netLim);
        if (n < 0) return false;
        netLim += n;
        return true;
    }

    void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
    }

    void shutdownOutput() throws IOException {
        out.shutdownOutput();
    }

    void closeNotifyIfFree() {
        out.closeNotifyIfFree();
    }
}
