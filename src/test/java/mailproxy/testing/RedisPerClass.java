package mailproxy.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link RealRedis} for all the tests of a class, in a folder of its own that goes with
 * it: {@code @RegisterExtension static final RedisPerClass redis = new RedisPerClass();}.
 * Started before the class's first test (and its {@code @BeforeAll} methods), stopped after
 * its last. Tests keep their keys apart by prefix; a test that kills or restarts Redis
 * starts one of its own with {@link RealRedis#start}.
 */
public final class RedisPerClass implements BeforeAllCallback, AfterAllCallback {
    private Path dir;
    private RealRedis server;

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("mailproxy-redis");
        server = RealRedis.start(dir);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (server != null) server.close();
        if (dir != null) InstanceDir.delete(dir);
    }

    /** The running redis-server. */
    public RealRedis server() {
        if (server == null) throw new IllegalStateException("redis-server not started: register RedisPerClass as a static field");
        return server;
    }

    /** "redis://127.0.0.1:PORT" for mailproxy.state.redis. */
    public String url() {
        return server().url();
    }

    public int port() {
        return server().port();
    }
}
