package mailproxy.admin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.BooleanSupplier;
import mailproxy.metrics.Metrics;
import mailproxy.server.ProxyServer;
import mailproxy.session.SessionInfo;
import mailproxy.wire.LogSafe;

/** What each admin path answers (see mailproxy.admin in reference.conf). */
final class Routes {
    static final String TEXT = "text/plain; charset=utf-8";
    static final String JSON = "application/json";

    /** An answer: text in {@code body}, or {@code bytes} (metrics). */
    record Answer(int status, String body, String contentType, byte[] bytes) {
        Answer(int status, String body, String contentType) {
            this(status, body, contentType, null);
        }
    }

    private Routes() {}

    static Answer answer(String method, String path, Query q, ProxyServer server, BooleanSupplier reload) {
        boolean get = method.equals("GET") || method.equals("HEAD");
        boolean post = method.equals("POST");
        if (path.equals("/health/live")) return get ? ok("live\n") : notAllowed("GET");
        StaticFiles.File file = StaticFiles.at(path);
        if (file != null) return get ? new Answer(200, null, file.contentType(), file.bytes()) : notAllowed("GET");
        if (server == null) return new Answer(503, "starting\n", TEXT);
        switch (path) {
            case "/status" -> {
                return get ? new Answer(200, StatusJson.of(server), JSON) : notAllowed("GET");
            }
            case "/health/ready" -> {
                if (!get) return notAllowed("GET");
                String why = server.notReady();
                return why == null ? ok("ready\n") : new Answer(503, "not ready: " + why + "\n", TEXT);
            }
            case "/metrics" -> {
                if (!get) return notAllowed("GET");
                ByteArrayOutputStream b = new ByteArrayOutputStream(16384);
                try {
                    server.metrics().write(b);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return new Answer(200, null, Metrics.CONTENT_TYPE, b.toByteArray());
            }
            case "/sessions" -> {
                return get ? ok(sessions(server.sessions())) : notAllowed("GET");
            }
            case "/pools" -> {
                return get ? ok(server.describePools()) : notAllowed("GET");
            }
            case "/reload" -> {
                if (!post) return notAllowed("POST");
                return reload.getAsBoolean() ? ok("reloaded\n")
                        : new Answer(409, "reload refused, the running config stays (the log says why)\n", TEXT);
            }
            case "/drain" -> {
                if (!post) return notAllowed("POST");
                String s = q.required("server");
                if (q.get("kick-after") != null) return answer(server.drain(s, q.duration("kick-after")));
                List<String> drained = server.drain(s);
                return drained.isEmpty() ? new Answer(404, "no pool server " + LogSafe.text(s) + "\n", TEXT)
                        : ok("draining " + String.join(", ", drained) + " (until the next reload)\n");
            }
            case "/undrain" -> {
                if (!post) return notAllowed("POST");
                String s = q.required("server");
                List<String> back = server.undrain(s);
                return back.isEmpty() ? new Answer(404, "no pool server " + LogSafe.text(s) + "\n", TEXT)
                        : ok("no longer draining " + String.join(", ", back) + "\n");
            }
            case "/move" -> {
                if (!post) return notAllowed("POST");
                return answer(server.move(q.required("user"), blankIsNull(q.get("server")), blankIsNull(q.get("pool")),
                        q.duration("kick-after")));
            }
            case "/users" -> {
                if (!get) return notAllowed("GET");
                return answer(server.users(blankIsNull(q.get("server")), blankIsNull(q.get("pool")), q.count("limit", USERS_LIMIT)));
            }
            case "/close" -> {
                if (!post) return notAllowed("POST");
                String user = q.required("user");
                return ok("closed " + server.closeUser(user) + " sessions\n");
            }
            case "/trace" -> {
                if (get) return ok(server.trace().describe());
                if (!post) return notAllowed("GET, POST");
                boolean on = q.on();
                if (q.get("user") != null) {
                    server.trace().user(q.required("user"), on);
                } else {
                    server.trace().client(q.required("client"), on);
                }
                return ok(server.trace().describe());
            }
            default -> {
                return new Answer(404, "no such path; see mailproxy.admin in reference.conf\n", TEXT);
            }
        }
    }

    /** One key=value line per session, oldest first. */
    static String sessions(List<SessionInfo> all) {
        StringBuilder b = new StringBuilder();
        for (SessionInfo s : all) {
            b.append("id=").append(s.id()).append(" protocol=").append(s.protocol()).append(" listener=").append(s.listener())
                    .append(" client=").append(s.client()).append(" user=").append(LogSafe.value(s.user()))
                    .append(" backend=").append(s.backend()).append(" since=").append(s.since())
                    .append(" state=").append(s.state()).append(" up=").append(s.up()).append(" down=").append(s.down()).append('\n');
        }
        return b.toString();
    }

    private static Answer ok(String body) { return new Answer(200, body, TEXT); }

    /** GET /users without limit=: this many lines at most (admin.max-users-listed caps any limit). */
    static final int USERS_LIMIT = 1000;

    private static Answer answer(ProxyServer.Action a) { return new Answer(a.status(), a.text(), TEXT); }

    private static String blankIsNull(String s) { return s == null || s.isBlank() ? null : s.trim(); }

    private static Answer notAllowed(String allowed) {
        return new Answer(405, "method not allowed; use " + allowed + "\n", TEXT);
    }
}
