package mailproxy.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mailproxy.testing.Await;
import mailproxy.testing.RawClient;
import mailproxy.testing.SimpleConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The accept loop survives running out of file descriptors (EMFILE): the proxy runs in a
 * child JVM under a small `prlimit --nofile`, is flooded past it, and still greets a new
 * client once the flood is gone.
 */
@Timeout(90)
class FdExhaustionTest {
    @Test
    void acceptLoopKeepsServingAfterEmfile(@TempDir Path dir) throws Exception {
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path conf = dir.resolve("p.conf");
        Files.writeString(conf, SimpleConfig.oneListener("pop3", 9, port));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder("prlimit", "--nofile=120:120", java,
                "-cp", System.getProperty("java.class.path"), "mailproxy.Main", "--config", conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("proxy.log").toFile());
        Process proxy = pb.start();
        List<RawClient> flood = new ArrayList<>();
        try {
            RawClient first = waitForGreeting(port, proxy);
            first.close();
            for (int i = 0; i < 200; i++) flood.add(RawClient.connect(port));
            Await.pause(Duration.ofMillis(500)); // the flood holds its connections a while
            for (RawClient c : flood) c.close();
            flood.clear();
            RawClient after = waitForGreeting(port, proxy);
            after.line("QUIT");
            after.expect("+OK");
            after.close();
            String log = Files.readString(dir.resolve("proxy.log"));
            assertTrue(log.contains("accept on") && log.contains("failed"), "EMFILE was hit and logged:\n" + log);
        } finally {
            for (RawClient c : flood) c.close();
            proxy.destroy();
            proxy.waitFor(10, TimeUnit.SECONDS);
            proxy.destroyForcibly();
        }
    }

    private static RawClient waitForGreeting(int port, Process proxy) throws Exception {
        return Await.retrying(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
            if (!proxy.isAlive()) throw new IllegalStateException("proxy died");
            RawClient c = RawClient.connect(port);
            c.expect("+OK");
            return c;
        });
    }
}
