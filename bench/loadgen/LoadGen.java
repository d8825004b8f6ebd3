package loadgen;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * mailproxy's load generator. Subcommands:
 * <pre>
 *   run ...          one scenario against one target; appends a TSV line (see Options.USAGE)
 *   report FILE [MD] the result tables with ratios, as Markdown
 *   ports N          N free loopback TCP ports, one a line
 *   auth ...         nginx auth_http server for the bench (see AuthHttp)
 * </pre>
 */
public final class LoadGen {
    private LoadGen() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.print(Options.USAGE);
            System.exit(2);
        }
        switch (args[0]) {
            case "run" -> System.exit(run(args));
            case "report" -> Report.main(args);
            case "ports" -> ports(Integer.parseInt(args[1]));
            case "auth" -> AuthHttp.main(args);
            default -> {
                System.err.print(Options.USAGE);
                System.exit(2);
            }
        }
    }

    private static int run(String[] args) throws InterruptedException, IOException {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("loadgen: " + e.getMessage() + "\n" + Options.USAGE);
            return 2;
        }
        Runner runner = null;
        List<Result> rs = switch (o.scenario()) {
            case "idle" -> List.of(new Idle(o).run());
            case "scale" -> new Scale(o).run();
            default -> List.of((runner = new Runner(o)).run());
        };
        for (Result r : rs) {
            r.append(o.out());
            print(r);
        }
        return runner != null && runner.failedResumption() ? 3 : 0;
    }

    private static void print(Result r) {
        System.out.println(String.format(Locale.ROOT,
                "  => %s: %d sessions in %.1fs: %.0f/s, p50 %.2f ms, p99 %.2f ms, errors %d%s%s%s%s%s",
                r.scenario(), r.sessions(), r.seconds(), r.rate(), r.p50ms(), r.p99ms(), r.errors(),
                r.mbPerSec() >= 0 ? String.format(Locale.ROOT, ", %.0f MB/s", r.mbPerSec()) : "",
                r.cpuMsPerSession() >= 0 ? String.format(Locale.ROOT, ", proxy CPU %.3f ms/session", r.cpuMsPerSession())
                        + (r.jitMsPerSession() >= 0 ? String.format(Locale.ROOT, " (JIT %.3f)", r.jitMsPerSession()) : "") : "",
                r.auxMsPerSession() >= 0 ? String.format(Locale.ROOT, ", auth CPU %.3f ms/session", r.auxMsPerSession()) : "",
                r.rssKbPerSession() >= 0 ? String.format(Locale.ROOT, ", RSS %.1f KB/session", r.rssKbPerSession()) : "",
                r.note().isEmpty() ? "" : " (" + r.note() + ")"));
    }

    /** Binds N ephemeral ports at once (so they are distinct), prints them, releases them. */
    private static void ports(int n) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket();
                s.bind(new InetSocketAddress("127.0.0.1", 0));
                held.add(s);
                System.out.println(s.getLocalPort());
            }
        } finally {
            for (ServerSocket s : held) s.close();
        }
    }
}
