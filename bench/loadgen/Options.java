package loadgen;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Command-line options of `loadgen run`; every load is bounded in count and in time. */
record Options(
        String scenario, String target, InetSocketAddress connect, boolean tls, String tlsVersion,
        String userPrefix, int userCount, String password,
        int concurrency, int maxSessions, double seconds, double warmup,
        long pid, long auxPid, int clkTck, int sources,
        int idleSessions, double hold, String gcCmd, Path gcOut,
        int rampConcurrency, java.util.List<Integer> checkpoints, int sessionCap,
        InetSocketAddress controlConnect, long controlPid,
        int timeoutMs, Path out) {

    static final String USAGE = """
            usage: loadgen run --scenario imap|pop3|smtp|bigfetch|idle|scale|connect|tls-new|tls-resume
                               --target NAME --connect HOST:PORT [options]
              --tls                 implicit TLS (full handshake every connection)
              connect: plain IMAP, greeting, a LOGOUT, its answer, close (one "session" is one
                       connection); tls-new: the same over implicit TLS, a full handshake each
                       time; tls-resume: the same, each worker resuming its previous TLS session
                       (the share resumed is in the note; under 90 % the run fails). A suffix
                       names the server's key type in the results: tls-new-ecdsa, tls-resume-rsa
              --tls-version V       TLSv1.2 or TLSv1.3 only (default: the JDK's choice, 1.3)
              --users PREFIX        account names PREFIX1..PREFIXn (default bench)
              --user-count N        (default 100)      --password P (default benchpw)
              --concurrency C       sessions at once (default 32; bigfetch 1)
              --max-sessions N      stop after N sessions (default 50000; bigfetch: fetches)
              --seconds S           measured phase length, at most (default 8)
              --warmup S            unmeasured phase before it (default 2)
              --pid P               proxy process whose CPU/RSS is measured from /proc
              --aux-pid P           helper process also measured (nginx's auth_http server)
              --clk-tck N           clock ticks per second of /proc/*/stat (default 100)
              --sources K           spread client source addresses over 127.0.0.2..127.0.0.(K+1)
              --idle-sessions N     idle: sessions to hold (default 1000); --seconds bounds the ramp
              --hold S              idle: hold them this long after the ramp (default 3)
              --gc-cmd CMD          idle: a JVM class-histogram command (jcmd PID GC.class_histogram),
                                    run before the ramp and after it: live heap per session
              --gc-out FILE         idle: keep the histogram taken after the ramp here
              scale: login load (--concurrency C, default 16; --warmup, then --seconds) with no
                     session held, ramp to --idle-sessions N held (RSS at each checkpoint and at
                     N), the login load again with them held, NOOP on each, release, load again
              --ramp-concurrency R  scale: logins at once while ramping (default 64)
              --checkpoints LIST    scale: held counts at which RSS is also read (default 2000)
              --session-cap K       scale: sessions the target holds at once (mailproxy's
                                    max-connections); held sessions stop at K - C (default: none)
              --control-connect H:P scale: a second instance of the same proxy that holds nothing;
                                    every login load also runs against it at the same moment
              --control-pid P       scale: the control's process (CPU)
              --timeout-ms T        socket connect/read timeout (default 15000)
              --out FILE            append one TSV result line here
            loadgen report FILE [FILE.md]   print (and write) the tables with ratios
            """;

    static Options parse(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            String k = args[i];
            if (!k.startsWith("--")) throw new IllegalArgumentException("unexpected argument " + k);
            if (k.equals("--tls")) {
                m.put("tls", "true");
            } else {
                if (i + 1 >= args.length) throw new IllegalArgumentException(k + " needs a value");
                m.put(k.substring(2), args[++i]);
            }
        }
        String scenario = req(m, "scenario");
        if (!scenario.matches("imap|pop3|smtp|bigfetch|idle|scale|connect|tls-(new|resume)(-[a-z0-9]+)?")) {
            throw new IllegalArgumentException("unknown scenario " + scenario);
        }
        int defConc = switch (scenario) {
            case "bigfetch" -> 1;
            case "scale" -> 16;
            default -> 32;
        };
        Options o = new Options(scenario, req(m, "target"),
                address(req(m, "connect")), m.containsKey("tls") || scenario.startsWith("tls-"), m.get("tls-version"),
                m.getOrDefault("users", "bench"), num(m, "user-count", 100), m.getOrDefault("password", "benchpw"),
                num(m, "concurrency", defConc), num(m, "max-sessions", 50_000),
                dbl(m, "seconds", 8), dbl(m, "warmup", 2),
                num(m, "pid", 0), num(m, "aux-pid", 0), num(m, "clk-tck", 100), num(m, "sources", 0),
                num(m, "idle-sessions", 1000), dbl(m, "hold", 3), m.get("gc-cmd"),
                m.containsKey("gc-out") ? Path.of(m.get("gc-out")) : null,
                num(m, "ramp-concurrency", 64), ints(m.getOrDefault("checkpoints", "2000")), num(m, "session-cap", 0),
                m.containsKey("control-connect") ? address(m.get("control-connect")) : null, num(m, "control-pid", 0),
                num(m, "timeout-ms", 15_000), m.containsKey("out") ? Path.of(m.get("out")) : null);
        m.keySet().removeAll(java.util.Set.of("scenario", "target", "connect", "tls", "tls-version", "users", "user-count",
                "password", "concurrency", "max-sessions", "seconds", "warmup", "pid", "aux-pid", "clk-tck",
                "sources", "idle-sessions", "hold", "gc-cmd", "gc-out", "ramp-concurrency", "checkpoints", "session-cap",
                "control-connect", "control-pid", "timeout-ms", "out"));
        if (!m.isEmpty()) throw new IllegalArgumentException("unknown option(s) " + m.keySet());
        if (o.concurrency < 1 || o.maxSessions < 1 || o.seconds <= 0 || o.seconds > 3600 || o.warmup < 0
                || o.idleSessions < 1 || o.idleSessions > 100_000 || o.hold < 0 || o.hold > 3600 || o.userCount < 1
                || o.rampConcurrency < 1 || o.sessionCap < 0) {
            throw new IllegalArgumentException("option out of range");
        }
        if (o.tlsVersion != null && !o.tlsVersion.matches("TLSv1\\.[23]")) {
            throw new IllegalArgumentException("--tls-version takes TLSv1.2 or TLSv1.3");
        }
        if (o.scenario.equals("connect") && o.tls) throw new IllegalArgumentException("connect is plain; tls-new is its TLS twin");
        return o;
    }

    /** The same load against the scale scenario's control instance (its auth server is not measured). */
    Options control() {
        return new Options(scenario, target, controlConnect, tls, tlsVersion, userPrefix, userCount, password, concurrency,
                maxSessions, seconds, warmup, controlPid, 0, clkTck, sources, idleSessions, hold, null, null,
                rampConcurrency, checkpoints, sessionCap, null, 0, timeoutMs, null);
    }

    private static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** connect, tls-new, tls-resume: greeting and LOGOUT on a connection of its own. */
    boolean shortConnection() {
        return scenario.equals("connect") || scenario.startsWith("tls-");
    }

    boolean resume() {
        return scenario.startsWith("tls-resume");
    }

    Flows.Account account(long seq) {
        return new Flows.Account(userPrefix + (1 + seq % userCount), password);
    }

    InetSocketAddress source(long seq) {
        return sources <= 0 ? null : new InetSocketAddress("127.0.0." + (2 + seq % sources), 0);
    }

    private static String req(Map<String, String> m, String k) {
        String v = m.get(k);
        if (v == null) throw new IllegalArgumentException("--" + k + " is required");
        return v;
    }

    private static java.util.List<Integer> ints(String csv) {
        return csv.isBlank() ? java.util.List.of()
                : java.util.Arrays.stream(csv.split(",")).map(String::trim).map(Integer::valueOf).sorted().toList();
    }

    private static int num(Map<String, String> m, String k, int def) {
        return m.containsKey(k) ? Integer.parseInt(m.get(k)) : def;
    }

    private static double dbl(Map<String, String> m, String k, double def) {
        return m.containsKey(k) ? Double.parseDouble(m.get(k)) : def;
    }
}
