package mailproxy.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Debian's HAProxy in the foreground ({@code haproxy -f FILE -db}) on a loopback port, in
 * TCP mode, balancing round robin over the given servers with {@code send-proxy-v2}: the
 * load balancer in front of several proxies. Stopped by {@link #close()}.
 */
public final class RealHaproxy implements AutoCloseable {
    private final Process process;
    private final Path dir;
    private final int port;

    private RealHaproxy(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    /** @param servers the ports of the servers behind it, all on 127.0.0.1 */
    public static RealHaproxy start(int... servers) throws IOException, InterruptedException {
        RealServers.dovecot(); // the packages are installed by the same script
        StringBuilder lines = new StringBuilder("  balance roundrobin\n");
        for (int i = 0; i < servers.length; i++) {
            lines.append("  server proxy").append(i).append(" 127.0.0.1:").append(servers[i]).append(" send-proxy-v2\n");
        }
        return launch(lines.toString());
    }

    /**
     * The same balancer with the caller's own lines in its {@code listen} section after
     * the bind (balance, health checks, server lines), e.g. the health check README.md,
     * "Running in production", gives.
     */
    public static RealHaproxy startWith(String listenLines) throws IOException, InterruptedException {
        RealServers.requireTool("/usr/sbin/haproxy");
        return launch(listenLines);
    }

    private static RealHaproxy launch(String listenLines) throws IOException, InterruptedException {
        Path dir = InstanceDir.create("haproxy");
        int port = FreePorts.allocate(1)[0];
        StringBuilder cfg = new StringBuilder("""
                global
                  maxconn 500
                defaults
                  mode tcp
                  timeout connect 5s
                  timeout client 30s
                  timeout server 30s
                listen mail
                  bind 127.0.0.1:%d
                """.formatted(port));
        cfg.append(listenLines);
        Path file = dir.resolve("haproxy.cfg");
        Files.writeString(file, cfg);
        Process p = new ProcessBuilder("/usr/sbin/haproxy", "-f", file.toString(), "-db")
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        RealHaproxy h = new RealHaproxy(p, dir, port);
        try {
            return Await.retrying(Duration.ofSeconds(10), Duration.ofMillis(50), () -> {
                if (!p.isAlive()) throw new IllegalStateException("haproxy exited");
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                    return h;
                }
            });
        } catch (Exception e) {
            h.close();
            throw new IOException("haproxy did not start: " + Files.readString(dir.resolve("haproxy.log")), e);
        }
    }

    public int port() { return port; }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        InstanceDir.delete(dir);
    }
}
