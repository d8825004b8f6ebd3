package mailproxy.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real redis-server (Debian's) on a free loopback port, in its own folder, with no
 * persistence: {@code redis-server --port P --bind 127.0.0.1 --save '' --appendonly no}.
 * {@link #kill()} takes it away mid-test (SIGKILL, as a crash); {@link #restart()} brings
 * it back on the same port, empty. Installed by src/test/sh/install-servers.sh when missing.
 * {@link #startTls} adds a TLS port (Debian's build has TLS) beside the plain one, which
 * stays for {@link #pings()} and for the test's own look at the keys.
 */
public final class RealRedis implements AutoCloseable {
    private static final Path SERVER = Path.of("/usr/bin/redis-server");
    private static final String INSTALL_SCRIPT = "src/test/sh/install-servers.sh";
    private static final Duration START = Duration.ofSeconds(10);

    private final Path dir;
    private final int port;
    /** 0: no TLS port. */
    private final int tlsPort;
    private final TestPki.Pair certificate;
    private Process process;

    private RealRedis(Path dir, int port, int tlsPort, TestPki.Pair certificate) {
        this.dir = dir;
        this.port = port;
        this.tlsPort = tlsPort;
        this.certificate = certificate;
    }

    /** Starts one in {@code dir} (a test's temp folder); tries fresh ports if one was taken meanwhile. */
    public static RealRedis start(Path dir) throws IOException {
        return start(dir, null);
    }

    /** Also serving TLS with {@code certificate} on {@link #tlsUrl()} (clients show no certificate). */
    public static RealRedis startTls(Path dir, TestPki.Pair certificate) throws IOException {
        return start(dir, certificate);
    }

    private static RealRedis start(Path dir, TestPki.Pair certificate) throws IOException {
        installIfMissing();
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int[] ports = FreePorts.allocate(2);
            RealRedis r = new RealRedis(dir, ports[0], certificate == null ? 0 : ports[1], certificate);
            try {
                r.launch();
                return r;
            } catch (IOException e) {
                last = e;
                r.kill();
            }
        }
        throw last;
    }

    public int port() {
        return port;
    }

    /** "redis://127.0.0.1:PORT" for mailproxy.state.redis. */
    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** "rediss://127.0.0.1:TLSPORT" of a server from {@link #startTls}. */
    public String tlsUrl() {
        if (tlsPort == 0) throw new IllegalStateException("started without TLS");
        return "rediss://127.0.0.1:" + tlsPort;
    }

    /** Gone at once, as in a crash: SIGKILL, then waits until the port is closed. */
    public void kill() {
        Process p = process;
        if (p == null) return;
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Starts again on the same port (empty: nothing is saved). */
    public void restart() throws IOException {
        kill();
        launch();
    }

    private void launch() throws IOException {
        Path log = dir.resolve("redis-" + port + ".log");
        List<String> command = new ArrayList<>(List.of(SERVER.toString(),
                "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no"));
        if (certificate != null) {
            command.addAll(List.of("--tls-port", Integer.toString(tlsPort), "--tls-cert-file",
                    certificate.cert().toString(), "--tls-key-file", certificate.key().toString(), "--tls-auth-clients", "no"));
        }
        process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        long deadline = System.nanoTime() + START.toNanos();
        while (!pings()) {
            if (!process.isAlive() || System.nanoTime() - deadline > 0) {
                throw new IOException("redis-server on port " + port + " did not answer PING within " + START
                        + "; its log:\n" + (Files.exists(log) ? Files.readString(log) : "(none)"));
            }
            ServerProbe.sleep(25);
        }
    }

    /** One PING over a raw socket: true on +PONG. */
    public boolean pings() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] b = in.readNBytes(7);
            return new String(b, StandardCharsets.US_ASCII).equals("+PONG\r\n");
        } catch (IOException e) {
            return false;
        }
    }

    private static void installIfMissing() throws IOException {
        if (Files.isExecutable(SERVER)) return;
        Path script = null;
        for (Path d = Path.of(System.getProperty("user.dir")).toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve(INSTALL_SCRIPT))) {
                script = d.resolve(INSTALL_SCRIPT);
                break;
            }
        }
        if (script == null) throw new IOException(SERVER + " missing and no " + INSTALL_SCRIPT + " found");
        Path out = Files.createTempFile("mailproxy-install-servers", ".log");
        int exit = Procs.run(out, Duration.ofMinutes(20), "sh", script.toString());
        if (exit != 0 || !Files.isExecutable(SERVER)) {
            throw new IOException(script + " exited " + exit + " and " + SERVER + " is still missing:\n" + Files.readString(out));
        }
    }

    @Override
    public void close() {
        kill();
    }
}
