package mailproxy.nginx;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the import could not carry over, each with where it was written and why. Untranslated
 * means mailproxy will behave differently from nginx there (the import exits 3); ignored means
 * the directive has no job to do in mailproxy (it is listed, the exit status stays 0).
 * A directive of the mail { } level is looked at once per server: each note is kept once.
 */
final class Notes {
    private final Map<String, Source> untranslated = new LinkedHashMap<>();
    private final Map<String, Source> ignored = new LinkedHashMap<>();

    void untranslated(Directive d, String why) {
        untranslated.putIfAbsent(d.where() + ": " + shorten(d.text()) + ": " + why, d.where());
    }

    void untranslated(Source where, String what, String why) {
        untranslated.putIfAbsent(where + ": " + what + ": " + why, where);
    }

    void ignored(Directive d, String why) {
        ignored.putIfAbsent(d.where() + ": " + shorten(d.text()) + ": " + why, d.where());
    }

    /** The untranslated notes, by file and line. */
    List<String> untranslated() { return sorted(untranslated); }

    List<String> ignored() { return sorted(ignored); }

    private static List<String> sorted(Map<String, Source> notes) {
        List<Map.Entry<String, Source>> list = new ArrayList<>(notes.entrySet());
        list.sort(Comparator.comparing((Map.Entry<String, Source> e) -> e.getValue().file())
                .thenComparingInt(e -> e.getValue().line()));
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Source> e : list) out.add(e.getKey());
        return out;
    }

    /** A directive with a long argument (a cipher string, a data: certificate) shown in a note. */
    private static String shorten(String text) {
        StringBuilder b = new StringBuilder();
        text.codePoints().forEach(c -> b.appendCodePoint(c < 0x20 || c == 0x7f ? '?' : c));
        String one = b.toString();
        return one.length() <= 100 ? one : one.substring(0, 97) + "...";
    }
}
