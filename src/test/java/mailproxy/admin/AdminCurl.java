package mailproxy.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The admin listener as an operator (or an attacker's page) reaches it: the real curl
 * binary, since only curl lets a test send the {@code Host}, {@code Origin} and
 * {@code Sec-Fetch-Site} a browser would, which java.net.http refuses to set.
 */
final class AdminCurl {
    /** The header the admin listener wants on a POST made without a token (see reference.conf). */
    static final String ADMIN_HEADER = "X-Mailproxy-Admin: 1";

    /** One answer: its status, its headers (names in lower case, first value) and its body. */
    record Answer(int status, Map<String, String> headers, String body) {
        String header(String name) { return headers.get(name.toLowerCase(Locale.ROOT)); }

        @Override
        public String toString() { return status + " " + headers + " " + body; }
    }

    private AdminCurl() {}

    /** {@code curl -X METHOD [args...] http://ADDRESS/PATH}; args are curl's own (-H 'Name: value', --data ...). */
    static Answer call(AdminServer admin, String method, String path, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("curl", "-s", "-i", "--max-time", "20", "--path-as-is", "-X", method));
        cmd.addAll(List.of(args));
        cmd.add("http://127.0.0.1:" + admin.address().getPort() + path);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("curl did not finish: " + cmd);
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) throw new AssertionError("curl exit " + p.exitValue() + " for " + cmd + ": " + text);
        return parse(text);
    }

    /** The -i output: "HTTP/1.1 200 OK", header lines, an empty line, the body. */
    private static Answer parse(String text) {
        int end = text.indexOf("\r\n\r\n");
        String head = end < 0 ? text : text.substring(0, end);
        String body = end < 0 ? "" : text.substring(end + 4);
        String[] lines = head.split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) headers.putIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        return new Answer(status, headers, body);
    }
}
