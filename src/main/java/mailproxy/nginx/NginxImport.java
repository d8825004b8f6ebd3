package mailproxy.nginx;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code --import-nginx FILE}: reads an nginx config, translates its mail { } block and
 * prints the mailproxy config to stdout. What cannot be translated is listed, with why, at
 * the top of the output and on stderr.
 */
public final class NginxImport {
    /** Everything translated. */
    public static final int OK = 0;
    /** The file cannot be read or parsed, or has no mail { } block. */
    public static final int UNREADABLE = 1;
    /** A config was printed, but some directives could not be translated. */
    public static final int PARTIAL = 3;

    private NginxImport() {}

    /** Runs the import; returns the exit status ({@link #OK}, {@link #UNREADABLE}, {@link #PARTIAL}). */
    public static int run(Path file, PrintStream out, PrintStream err) {
        String text;
        List<String> untranslated;
        try {
            Result r = translate(file);
            text = r.hocon();
            untranslated = r.untranslated();
        } catch (NginxConfigException e) {
            err.println("mailproxy: nginx config error in " + HoconWriter.oneLine(e.getMessage()));
            return UNREADABLE;
        }
        out.print(text);
        out.flush();
        for (String n : untranslated) err.println("mailproxy: not translated: " + HoconWriter.oneLine(n));
        return untranslated.isEmpty() ? OK : PARTIAL;
    }

    /** The HOCON text and the untranslated notes (also at its top). */
    record Result(String hocon, List<String> untranslated) {}

    static Result translate(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        Path confPrefix = abs.getParent() == null ? abs : abs.getParent();
        List<Directive> main = NginxParser.parse(file);
        Draft d = MailTranslator.translate(main, file.toString(), confPrefix);
        return new Result(HoconWriter.write(d, file.toString()), d.untranslated());
    }
}
