package mailproxy.tls;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLSocket;

/** A loopback listener on port 0 that runs one server-side TLS handshake per accept. */
final class Loopback implements AutoCloseable {
    final ServerSocket listener;

    Loopback() throws IOException {
        listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        listener.setSoTimeout(20_000);
    }

    /** Accepts one connection on a virtual thread and hands it to {@code tls}. */
    CompletableFuture<SSLSocket> acceptTls(TlsServer tls, Duration timeout) {
        CompletableFuture<SSLSocket> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                Socket s = listener.accept();
                f.complete(tls.handshake(s, timeout));
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()), 5_000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** The failure of a server-side handshake that must fail. */
    static Throwable failure(CompletableFuture<?> f) throws InterruptedException, TimeoutException {
        try {
            Object ok = f.get(20, TimeUnit.SECONDS);
            throw new AssertionError("expected the handshake to fail, got " + ok);
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    /**
     * Reads until the peer closes (the read timeout of {@link #connect()} bounds the wait);
     * what came before. A reset, the peer closing with our bytes unread, ends it as well.
     */
    static byte[] untilClosed(Socket s) {
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        try {
            s.getInputStream().transferTo(got);
        } catch (IOException reset) {
            // equally an end
        }
        return got.toByteArray();
    }

    static <T> T result(CompletableFuture<T> f) throws Exception {
        return f.get(20, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
