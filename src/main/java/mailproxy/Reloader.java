package mailproxy;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import mailproxy.config.ConfigException;
import mailproxy.config.ConfigLoader;
import mailproxy.config.ProxyConfig;
import mailproxy.server.ProxyServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGHUP: read and check the config file again; a valid one replaces the running config
 * (ProxyServer.reload), an invalid one is refused with the one-line error that startup
 * would give, and the running config goes on (docs/ARCHITECTURE.md, "Reloading").
 */
final class Reloader {
    private static final Logger log = LoggerFactory.getLogger(Reloader.class);
    private static final ReentrantLock ONE_AT_A_TIME = new ReentrantLock();

    /** What an operator can do instead of SIGHUP (README, "Reloading without a restart"). */
    private static final String ALTERNATIVE = "reload with POST /reload on the admin listener "
            + "(curl -X POST -H 'X-Mailproxy-Admin: 1' http://ADMIN/reload), or restart";

    private Reloader() {}

    /**
     * Takes SIGHUP for reloads, also when the process was started with it ignored (nohup):
     * the JVM would otherwise install nothing and say nothing (IgnoredSignal).
     *
     * @param server the running server; a SIGHUP before it is set (still starting) is ignored
     */
    static void onHangup(Path file, AtomicReference<ProxyServer> server, PrintStream err) {
        Signal hup;
        try {
            hup = new Signal("HUP");
        } catch (IllegalArgumentException e) {
            err.println("mailproxy: SIGHUP is not available here, reload disabled: " + e.getMessage() + "; " + ALTERNATIVE);
            return;
        }
        SignalHandler reload = s -> Thread.ofVirtual().name("reload").start(() -> {
            ProxyServer running = server.get();
            if (running == null) log.warn("SIGHUP while starting: ignored");
            else reload(file, running, "SIGHUP");
        });
        try {
            // sun.misc.Signal is the JDK's supported way to take a signal (jdk.unsupported)
            if (Signal.handle(hup, reload) != SignalHandler.SIG_IGN) return;
            String why = IgnoredSignal.restoreDefault(hup.getNumber());
            if (why == null && Signal.handle(hup, reload) != SignalHandler.SIG_IGN) {
                log.info("SIGHUP was ignored when mailproxy started (nohup?): taken back, kill -HUP reloads");
                return;
            }
            // handle() left the disposition as it was: ignored
            log.warn("SIGHUP is ignored by whoever started mailproxy (nohup?) and cannot be taken back ({}): "
                    + "kill -HUP will NOT reload; {}", why == null ? "the JVM refused" : why, ALTERNATIVE);
        } catch (IllegalArgumentException e) {
            err.println("mailproxy: SIGHUP is not available here, reload disabled: " + e.getMessage() + "; " + ALTERNATIVE);
        }
    }

    /**
     * @param why who asked: SIGHUP, admin
     * @return true when the new config is in force
     */
    static boolean reload(Path file, ProxyServer server, String why) {
        if (server == null) return false;
        ONE_AT_A_TIME.lock();
        try {
            log.info("{}: reloading {}", why, file);
            ProxyConfig cfg = ConfigLoader.load(file);
            server.reload(cfg);
            return true;
        } catch (ConfigException e) {
            log.error("reload refused, the running config stays: {}", e.getMessage());
            server.reloadRefused(e.getMessage());
        } catch (IOException e) {
            log.error("reload refused, the running config stays: {}", e.getMessage());
            server.reloadRefused(e.getMessage());
        } finally {
            ONE_AT_A_TIME.unlock();
        }
        return false;
    }
}
