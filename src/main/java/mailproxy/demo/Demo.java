package mailproxy.demo;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import mailproxy.admin.AdminServer;
import mailproxy.config.ConfigException;
import mailproxy.config.ConfigLoader;
import mailproxy.config.Protocol;
import mailproxy.config.ProxyConfig;
import mailproxy.route.Pool;
import mailproxy.route.Pools;
import mailproxy.server.ProxyServer;

/**
 * The embedded demo: two GreenMail mail stores on free loopback ports, each with IMAP,
 * POP3 and SMTP, behind one mailproxy pool (user-hash, as a real pool of Dovecots would
 * be), with its admin listener and the protocol trace on. GreenMail's stores do not
 * share mailboxes, so each user is seeded on the store the pool picks for them (the
 * pool's own {@link Pool#candidates} answer), and a message sent through the proxy lands
 * in the store of the sender's account: send to yourself to read it back.
 */
public final class Demo implements AutoCloseable {
    /** Where the demo listens; loopback, high ports, no root. */
    public record Ports(int imap, int pop3, int smtp, int admin) {
        public static final Ports DEFAULT = new Ports(10143, 10110, 10587, 19090);
    }

    /** The seeded accounts: login, password. */
    static final List<String[]> USERS = List.of(
            new String[] {"alice", "alice-pw"}, new String[] {"bob", "bob-pw"},
            new String[] {"carol", "carol-pw"}, new String[] {"dave", "dave-pw"});
    static final String DOMAIN = "demo.test";

    private final List<GreenMail> stores;
    private final ProxyServer server;
    private final AdminServer admin;
    private final Ports ports;
    private final String placement;
    private final Path config;

    private Demo(List<GreenMail> stores, ProxyServer server, AdminServer admin, Ports ports, String placement, Path config) {
        this.config = config;
        this.stores = stores;
        this.server = server;
        this.admin = admin;
        this.ports = ports;
        this.placement = placement;
    }

    /** Used by {@link Launcher}: runs until Ctrl-C. */
    public static int main(String[] args, PrintStream out, PrintStream err) throws Exception {
        quietStores();
        Path dir = Files.createTempDirectory("mailproxy-demo");
        Demo demo;
        try {
            demo = start(Ports.DEFAULT, dir);
        } catch (IOException e) {
            err.println("mailproxy: --demo: " + e.getMessage()
                    + " (another demo running? the demo uses ports 10143, 10110, 10587 and 19090)");
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            demo.close();
            stopped.countDown();
        }, "demo stop"));
        out.print(demo.instructions());
        out.flush();
        stopped.await();
        return 0;
    }

    /** GreenMail logs each connection at INFO; the demo's own log is the proxy's. */
    static void quietStores() {
        if (System.getProperty("org.slf4j.simpleLogger.log.com.icegreen") == null) {
            System.setProperty("org.slf4j.simpleLogger.log.com.icegreen", "warn");
        }
    }

    /** Starts the stores, seeds them, then the proxy and its admin listener; the config goes to {@code dir}. */
    public static Demo start(Ports ports, Path dir) throws Exception {
        List<GreenMail> stores = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) stores.add(store());
            Path conf = dir.resolve("demo.conf");
            Files.writeString(conf, config(ports, stores));
            ProxyConfig cfg = ConfigLoader.load(conf);
            String placement = seed(cfg, stores);
            ProxyServer server = ProxyServer.start(cfg);
            AdminServer admin;
            try {
                admin = AdminServer.start(cfg.admin(), () -> server, () -> reload(conf, server));
            } catch (IOException e) {
                server.close();
                throw e;
            }
            return new Demo(stores, server, admin, ports, placement, conf);
        } catch (Exception | Error e) {
            stores.forEach(GreenMail::stop);
            throw e;
        }
    }

    private static GreenMail store() {
        GreenMail g = new GreenMail(new ServerSetup[] {
                new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_IMAP).dynamicPort(),
                new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_POP3).dynamicPort(),
                new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP).dynamicPort()});
        g.start();
        return g;
    }

    private static boolean reload(Path conf, ProxyServer server) {
        try {
            server.reload(ConfigLoader.load(conf));
            return true;
        } catch (IOException | ConfigException e) {
            return false;
        }
    }

    /** The proxy's config: the stores as one pool, a static router, three traced listeners, the admin. */
    static String config(Ports p, List<GreenMail> stores) {
        StringBuilder servers = new StringBuilder();
        for (GreenMail g : stores) {
            servers.append("        { host = \"127.0.0.1\", imap-port = ").append(g.getImap().getPort())
                    .append(", pop3-port = ").append(g.getPop3().getPort())
                    .append(", smtp-port = ").append(g.getSmtp().getPort()).append(" }\n");
        }
        return """
                # made by mailproxy --demo: two GreenMail stores behind one pool
                mailproxy {
                  server-name = "demo.mailproxy"
                  drain-timeout = 2s
                  admin { listen = "127.0.0.1:%d" }
                  backends {
                    stores {
                      servers = [
                %s      ]
                      # every protocol hashes the user, so a user's IMAP, POP3 and SMTP land on one store
                      imap { port = 143 }
                      pop3 { port = 110 }
                      smtp { port = 25, auth = plain, balance = user-hash }
                      health { interval = 5s }
                    }
                  }
                  routers { demo { type = static, default = stores } }
                  listener-defaults { trace = true, trace-relay-bytes = 512 }
                  listeners = [
                    { name = imap, protocol = imap, listen = "127.0.0.1:%d" }
                    { name = pop3, protocol = pop3, listen = "127.0.0.1:%d" }
                    { name = submission, protocol = smtp, listen = "127.0.0.1:%d" }
                  ]
                }
                """.formatted(p.admin(), servers, p.imap(), p.pop3(), p.smtp());
    }

    /** Each user on the store the pool sends them to, with two messages; returns who is where. */
    static String seed(ProxyConfig cfg, List<GreenMail> stores) {
        Pool pool = Pools.build(cfg, null).get("stores");
        StringBuilder where = new StringBuilder();
        for (String[] u : USERS) {
            int port = pool.candidates(u[0], Protocol.IMAP).get(0).target(Protocol.IMAP).port();
            int n = 0;
            while (stores.get(n).getImap().getPort() != port) n++;
            GreenMail store = stores.get(n);
            String email = u[0] + "@" + DOMAIN;
            var user = store.setUser(email, u[0], u[1]);
            ServerSetup smtp = store.getSmtp().getServerSetup();
            user.deliver(GreenMailUtil.createTextEmail(email, "welcome@" + DOMAIN, "Welcome, " + u[0],
                    "Hello " + u[0] + ",\r\n\r\nthis message lives on store " + (n + 1) + " (IMAP 127.0.0.1:" + port
                            + "); mailproxy's pool sent you there by hashing your login name.\r\n", smtp));
            user.deliver(GreenMailUtil.createTextEmail(email, "bob@" + DOMAIN, "Lunch?",
                    "Noon at the usual place?\r\n", smtp));
            where.append("  ").append(u[0]).append(" / ").append(u[1]).append("  on store ").append(n + 1).append('\n');
        }
        return where.toString();
    }

    /** What to paste: every command works as printed while the demo runs. */
    public String instructions() {
        String imap = "127.0.0.1:" + ports.imap();
        String pop3 = "127.0.0.1:" + ports.pop3();
        String smtp = "127.0.0.1:" + ports.smtp();
        String admin = "127.0.0.1:" + ports.admin();
        return """

                mailproxy demo: IMAP %s, POP3 %s, submission %s, admin http://%s
                Two GreenMail stores behind one pool (user-hash); the proxy's config: %s
                Accounts (login / password):
                %s
                Read alice's first message through the proxy (IMAP):
                  $ curl -s --user alice:alice-pw 'imap://%s/INBOX;UID=1'
                List and read bob's mail over POP3:
                  $ curl -s --user bob:bob-pw 'pop3://%s/'
                  $ curl -s --user bob:bob-pw 'pop3://%s/1'
                Send a message as alice to herself (SMTP submission with AUTH), then find it over IMAP:
                  $ printf 'From: alice@demo.test\\r\\nTo: alice@demo.test\\r\\nSubject: sent through mailproxy\\r\\n\\r\\nHello!\\r\\n' | curl -s --user alice:alice-pw --mail-from alice@demo.test --mail-rcpt alice@demo.test -T - 'smtp://%s'
                  $ curl -s --user alice:alice-pw 'imap://%s/INBOX' -X 'SEARCH SUBJECT "sent through mailproxy"'
                A wrong password (see its audit line in the log):
                  $ curl -s --user alice:wrong 'imap://%s/INBOX;UID=1'
                A raw session: type the commands yourself (a LOGIN alice alice-pw, a SELECT INBOX, a LOGOUT):
                  $ curl telnet://%s
                The admin listener: metrics, open sessions, readiness
                  $ curl -s http://%s/metrics
                  $ curl -s http://%s/sessions
                  $ curl -s http://%s/health/ready
                Drain store 2 (no new sessions there; its users now land on store 1, where they have no
                mailbox), look at the pool, and reload the config, which ends the drain:
                  $ curl -s -X POST -H 'X-Mailproxy-Admin: 1' 'http://%s/drain?server=%s'
                  $ curl -s http://%s/pools
                  $ curl -s -X POST -H 'X-Mailproxy-Admin: 1' http://%s/reload
                Every session's dialogue is in the log below (mailproxy.trace, passwords as ***).
                Stop with Ctrl-C.
                """.formatted(imap, pop3, smtp, admin, config, placement, imap, pop3, pop3, smtp, imap, imap, imap, admin, admin, admin,
                admin, "127.0.0.1:" + stores.get(1).getImap().getPort(), admin, admin);
    }

    public ProxyServer server() { return server; }

    @Override
    public void close() {
        admin.close();
        server.close();
        stores.forEach(GreenMail::stop);
    }
}
