package mailproxy.nginx;

import java.util.List;
import java.util.Map;
import mailproxy.config.Protocol;

/** Writes a {@link Draft} as a mailproxy HOCON config, notes first as comments. */
final class HoconWriter {
    private final StringBuilder out = new StringBuilder();

    private HoconWriter() {}

    static String write(Draft d, String source) {
        return new HoconWriter().draft(d, source);
    }

    private String draft(Draft d, String source) {
        line(0, "# mailproxy config made by --import-nginx from the mail { } block of " + oneLine(source));
        line(0, "# Check it with: java -jar mailproxy.jar --check --config FILE");
        notes("NOT TRANSLATED: nginx does this, mailproxy will not (each with why)", d.untranslated());
        notes("IGNORED: no job to do in mailproxy", d.ignored());
        line(0, "mailproxy {");
        if (d.serverName() != null) line(1, "server-name = " + Values.quote(d.serverName()));
        if (!d.routers().isEmpty()) {
            blank();
            line(1, "backends {");
            for (Draft.Router r : d.routers()) {
                line(2, "# Not a server: how mailproxy logs in to the servers auth_http names (nginx's");
                line(2, "# xclient, proxy_smtp_auth, proxy_protocol); its host and ports are not used.");
                line(2, r.backendName() + " {");
                line(3, "host = \"127.0.0.1\"");
                for (Map.Entry<Protocol, Map<String, String>> e : r.backendOptions().entrySet()) {
                    line(3, e.getKey().id() + " { " + inline(e.getValue()) + (e.getValue().isEmpty() ? "}" : " }"));
                }
                line(2, "}");
            }
            line(1, "}");
            blank();
            line(1, "routers {");
            for (Draft.Router r : d.routers()) {
                line(2, r.name() + " {");
                line(3, "type = auth-http");
                line(3, "url = " + Values.quote(r.auth().url()));
                if (r.auth().timeout() != null) line(3, "timeout = " + r.auth().timeout());
                if (!r.auth().headers().isEmpty()) {
                    line(3, "headers {");
                    for (Map.Entry<String, String> h : r.auth().headers()) {
                        line(4, Values.quote(h.getKey()) + " = " + Values.quote(h.getValue()));
                    }
                    line(3, "}");
                }
                if (r.auth().passClientCert()) line(3, "pass-client-cert = true");
                line(3, "backend-options = " + r.backendName());
                line(2, "}");
            }
            line(1, "}");
            line(1, "default-router = " + d.routers().get(0).name());
        }
        if (!d.listenerDefaults().isEmpty()) {
            blank();
            line(1, "listener-defaults {");
            keys(2, d.listenerDefaults());
            line(1, "}");
        }
        blank();
        if (d.listeners().isEmpty()) {
            line(1, "listeners = []");
        } else {
            line(1, "listeners = [");
            for (Draft.Listener l : d.listeners()) {
                line(2, "# " + oneLine(l.origin()));
                line(2, "{");
                keys(3, l.keys());
                line(2, "}");
            }
            line(1, "]");
        }
        line(0, "}");
        return out.toString();
    }

    private void notes(String title, List<String> notes) {
        if (notes.isEmpty()) return;
        line(0, "#");
        line(0, "# " + title + ":");
        for (String n : notes) line(0, "#   " + oneLine(n));
    }

    private void keys(int depth, Map<String, String> keys) {
        for (Map.Entry<String, String> e : keys.entrySet()) {
            String[] lines = e.getValue().split("\n");
            line(depth, e.getKey() + " = " + lines[0]);
            for (int i = 1; i < lines.length; i++) line(depth, lines[i]);
        }
    }

    private static String inline(Map<String, String> keys) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> e : keys.entrySet()) {
            if (!b.isEmpty()) b.append(", ");
            b.append(e.getKey()).append(" = ").append(e.getValue());
        }
        return b.toString();
    }

    private void line(int depth, String text) {
        out.append("  ".repeat(depth)).append(text).append('\n');
    }

    private void blank() {
        if (out.charAt(out.length() - 2) != '{') out.append('\n');
    }

    /** Comments end at a line break: nothing from the input may start a new line of config. */
    static String oneLine(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(c -> b.appendCodePoint(c < 0x20 || c == 0x7f ? '?' : c));
        return b.toString();
    }
}
