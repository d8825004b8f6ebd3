package mailproxy.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Set;

/**
 * The status page's three files, read from the jar once (src/main/resources/mailproxy/
 * admin/status): plain HTML, CSS and JS, no build step. The script is a file of its own
 * because the Content-Security-Policy every admin answer carries allows no inline script
 * (docs/SECURITY.md).
 */
final class StaticFiles {
    record File(String contentType, byte[] bytes) {}

    private static final Map<String, File> FILES = Map.of(
            "/", load("index.html", "text/html; charset=utf-8"),
            "/status.js", load("status.js", "text/javascript; charset=utf-8"),
            "/status.css", load("status.css", "text/css; charset=utf-8"));

    private StaticFiles() {}

    /** The paths the files are served at. */
    static Set<String> paths() { return FILES.keySet(); }

    /** The file served at {@code path}, or null. */
    static File at(String path) { return FILES.get(path); }

    private static File load(String name, String type) {
        try (InputStream in = StaticFiles.class.getResourceAsStream("/mailproxy/admin/status/" + name)) {
            if (in == null) throw new IllegalStateException("the jar lacks mailproxy/admin/status/" + name);
            return new File(type, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
