package mailproxy;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import mailproxy.admin.AdminServer;
import mailproxy.config.ConfigException;
import mailproxy.config.ConfigLoader;
import mailproxy.config.ProxyConfig;
import mailproxy.route.Pools;
import mailproxy.server.ProxyServer;

/** Command line: load the config once, start the listeners, stop gracefully on SIGTERM. */
public final class Main {
    private static final String DEFAULT_CONFIG = "config/mailproxy.conf";

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Path config = null;
        boolean check = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    out.print(usage());
                    return 0;
                }
                case "--version", "-v" -> {
                    out.println("mailproxy " + version());
                    return 0;
                }
                case "--check" -> check = true;
                case "--demo" -> {
                    if (args.length != 1) {
                        err.println("mailproxy: --demo takes nothing else\n" + usage());
                        return 2;
                    }
                    return mailproxy.demo.Launcher.run(args, err);
                }
                case "--import-nginx" -> {
                    if (args.length != 2 || i != 0) {
                        err.println("mailproxy: --import-nginx takes one nginx config file and nothing else\n" + usage());
                        return 2;
                    }
                    return mailproxy.nginx.NginxImport.run(Path.of(args[1]), out, err);
                }
                case "--config", "-c" -> {
                    if (i + 1 >= args.length) {
                        err.println("mailproxy: --config needs a file\n" + usage());
                        return 2;
                    }
                    config = Path.of(args[++i]);
                }
                default -> {
                    err.println("mailproxy: unknown argument '" + args[i] + "'\n" + usage());
                    return 2;
                }
            }
        }
        if (config == null) {
            if (!Files.exists(Path.of(DEFAULT_CONFIG))) {
                err.println("mailproxy: no --config given and no " + DEFAULT_CONFIG + " here\n" + usage());
                return 2;
            }
            config = Path.of(DEFAULT_CONFIG);
        }
        ProxyConfig cfg;
        try {
            cfg = ConfigLoader.load(config);
        } catch (ConfigException e) {
            err.println("mailproxy: " + e.getMessage());
            return 1;
        }
        if (check) {
            out.println("mailproxy: " + config + " is valid (" + cfg.listeners().size() + " listeners, "
                    + cfg.backends().size() + " backends, " + cfg.routers().size() + " routers)");
            // the pools as the proxy would balance them; no health check runs here
            out.print(Pools.build(cfg, null).describe());
            return 0;
        }
        // before the listeners: a SIGHUP that arrives as soon as they are up must not reach
        // the JVM's default (which stops it); the admin listener first: its /health/ready
        // says "not ready" until the listeners are up
        AtomicReference<ProxyServer> running = new AtomicReference<>();
        Reloader.onHangup(config, running, err);
        AdminServer admin = null;
        Path file = config;
        try {
            if (cfg.admin().on()) {
                admin = AdminServer.start(cfg.admin(), running::get, () -> Reloader.reload(file, running.get(), "admin"));
            }
        } catch (IOException e) {
            err.println("mailproxy: " + e.getMessage());
            return 1;
        }
        ProxyServer server;
        try {
            server = ProxyServer.start(cfg);
            running.set(server);
        } catch (IOException | ConfigException e) {
            err.println("mailproxy: " + e.getMessage());
            if (admin != null) admin.close();
            return 1;
        }
        AdminServer adminServer = admin;
        // the admin listener stops last, so that it answers "not ready: draining" while sessions finish
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            if (adminServer != null) adminServer.close();
        }, "shutdown"));
        try {
            Thread.currentThread().join(); // the listeners' threads are virtual: keep the JVM up
        } catch (InterruptedException e) {
            server.close();
        }
        return 0;
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private static String usage() {
        return """
                usage: java -jar mailproxy.jar [--config FILE] [--check] [--version] [--help]
                       java -jar mailproxy.jar --import-nginx NGINX_CONF > mailproxy.conf
                       java -jar mailproxy.jar --demo
                  --config FILE  HOCON config (default: config/mailproxy.conf); keys in reference.conf
                  --check        validate the config, print the backend pools, and exit (0 valid, 1 invalid)
                SIGHUP re-reads --config: a valid file replaces the running config without a restart;
                an invalid one is refused with the same one-line error as at startup.
                  --import-nginx FILE  print nginx's mail { } block as mailproxy config (0 all translated,
                                 3 some directives not: listed on top and on stderr, 1 unreadable)
                  --demo         two embedded mail stores (GreenMail, from demo-lib/ beside the jar) behind
                                 the proxy on 127.0.0.1:10143 (IMAP), 10110 (POP3), 10587 (submission),
                                 admin on 19090, trace on; prints commands to try; Ctrl-C stops it
                  --version      print the version
                """;
    }
}
