package mailproxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * What the proxy's side of a handshake reads and writes (tls-provider = openssl), counted
 * in calls on the TCP socket under it: each is a system call.
 */
@Timeout(60)
@EnabledIf("mailproxy.testing.TestPki#opensslAvailable")
class EngineFlightTest {
    static final Duration HANDSHAKE = Duration.ofSeconds(10);

    /** The proxy's end of a connection: its TLS socket and the writes on the TCP socket under it. */
    record ServerEnd(SSLSocket tls, AtomicInteger writes) { }

    /** Accepts one connection and runs the server side of the handshake over a socket that counts writes. */
    static CompletableFuture<ServerEnd> accept(Loopback lo) throws TlsConfigException {
        TlsServer tls = TlsServer.create(ServerTlsSettings.of(TlsServerTest.ec).withProvider(TlsProvider.OPENSSL));
        CompletableFuture<ServerEnd> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                CountingSocket s = new CountingSocket(lo.listener.accept());
                f.complete(new ServerEnd(tls.handshake(s, HANDSHAKE), s.writes));
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** A client handshake on a virtual thread: a TLS 1.2 one ends only when the server's Finished arrives. */
    static CompletableFuture<SSLSocket> connect(Loopback lo, String protocol) throws Exception {
        TlsClient client = TlsClient.create(new BackendTlsSettings(false, null, null, null, List.of(protocol)));
        Socket plain = lo.connect();
        CompletableFuture<SSLSocket> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                f.complete(client.handshake(plain, HANDSHAKE));
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    static void send(SSLSocket s, String line) throws IOException {
        s.getOutputStream().write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
    }

    /**
     * Implicit TLS: S: flight 1 (ServerHello .. Finished), C: Finished, then the tickets and
     * the greeting in one write.
     */
    @Test
    void theTicketsGoOutWithTheGreetingInOneWrite() throws Exception {
        try (Loopback lo = new Loopback()) {
            CompletableFuture<ServerEnd> accepted = accept(lo);
            SSLSocket client = Loopback.result(connect(lo, "TLSv1.3"));
            ServerEnd server = Loopback.result(accepted);
            assertEquals(1, server.writes.get(), "only the server's first flight before the greeting");
            send(server.tls, "* OK ready");
            assertEquals("* OK ready", TlsServerTest.readLine(client.getInputStream()));
            assertEquals(2, server.writes.get(), "tickets and greeting in one write");
            server.tls.close();
            client.close();
        }
    }

    /**
     * A TLS 1.2 client waits for the server's Finished: it must have it when the server's
     * handshake returns, whatever the session does next (here: nothing).
     */
    @Test
    void aTls12ClientsHandshakeEndsWithTheServers() throws Exception {
        try (Loopback lo = new Loopback()) {
            CompletableFuture<ServerEnd> accepted = accept(lo);
            CompletableFuture<SSLSocket> connecting = connect(lo, "TLSv1.2");
            ServerEnd server = Loopback.result(accepted);
            SSLSocket client = Loopback.result(connecting);
            assertEquals("TLSv1.2", client.getSession().getProtocol());
            server.tls.close();
            client.close();
        }
    }

    /**
     * A resuming client's ClientHello carries its ticket and is larger than an idle read's
     * buffer: the handshake still takes it in one read.
     */
    @Test
    void aResumingClientHelloIsReadInOneRead() throws Exception {
        TlsServer tls = TlsServer.create(ServerTlsSettings.of(TlsServerTest.ec).withProvider(TlsProvider.OPENSSL));
        TlsClient client = TlsClient.create(new BackendTlsSettings(false, null, null, null, List.of("TLSv1.3")));
        try (Loopback lo = new Loopback()) {
            int[] firstRead = new int[2];
            for (int i = 0; i < 2; i++) {
                CompletableFuture<CountingSocket> plain = new CompletableFuture<>();
                CompletableFuture<SSLSocket> accepted = new CompletableFuture<>();
                Thread.ofVirtual().start(() -> {
                    try {
                        CountingSocket s = new CountingSocket(lo.listener.accept());
                        plain.complete(s);
                        accepted.complete(tls.handshake(s, HANDSHAKE));
                    } catch (Throwable e) {
                        accepted.completeExceptionally(e);
                    }
                });
                try (SSLSocket c = client.handshake(lo.connect(), HANDSHAKE); SSLSocket s = Loopback.result(accepted)) {
                    send(s, "* OK"); // the tickets come with it
                    assertEquals("* OK", TlsServerTest.readLine(c.getInputStream()));
                    CountingSocket counted = Loopback.result(plain);
                    firstRead[i] = counted.firstRead;
                    // before: the first read stopped at the idle buffer's 512 bytes, and a
                    // second read and a 33 KB buffer took the rest
                    if (i == 1) assertTrue(counted.firstRead > EngineIo.IDLE_NET, "the whole ClientHello: " + counted.firstRead);
                }
            }
            assertTrue(firstRead[1] > firstRead[0], "the second ClientHello carries a ticket");
        }
    }

    /** An accepted socket that counts its reads and writes: the system calls the proxy's side makes. */
    static final class CountingSocket extends Socket {
        final AtomicInteger writes = new AtomicInteger();
        private final AtomicInteger reads = new AtomicInteger();
        volatile int firstRead;
        private final Socket s;
        private final InputStream in;
        private final OutputStream out;

        CountingSocket(Socket s) throws IOException {
            this.s = s;
            this.in = new FilterInputStream(s.getInputStream()) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = super.read(b, off, len);
                    if (reads.incrementAndGet() == 1) firstRead = n;
                    return n;
                }
            };
            this.out = new FilterOutputStream(s.getOutputStream()) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    writes.incrementAndGet();
                    s.getOutputStream().write(b, off, len);
                }
            };
        }

        @Override public InputStream getInputStream() { return in; }
        @Override public OutputStream getOutputStream() { return out; }
        @Override public void close() throws IOException { s.close(); }
        @Override public boolean isClosed() { return s.isClosed(); }
        @Override public void shutdownOutput() throws IOException { s.shutdownOutput(); }
        @Override public void shutdownInput() throws IOException { s.shutdownInput(); }
        @Override public void setSoTimeout(int t) throws SocketException { s.setSoTimeout(t); }
        @Override public int getSoTimeout() throws SocketException { return s.getSoTimeout(); }
        @Override public InetAddress getInetAddress() { return s.getInetAddress(); }
        @Override public int getPort() { return s.getPort(); }
        @Override public java.net.SocketAddress getRemoteSocketAddress() { return s.getRemoteSocketAddress(); }
        @Override public boolean isConnected() { return s.isConnected(); }
    }
}
