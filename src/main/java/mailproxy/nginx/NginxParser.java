package mailproxy.nginx;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an nginx config file into {@link Directive}s, with {@code include} spliced in where
 * it stands. As nginx does (ngx_conf_include, ngx_conf_full_name), a relative include is
 * resolved against the folder of the main config file (nginx's conf prefix), whichever
 * file holds the include; a pattern with {@code * ? [} may match nothing, a plain path must
 * exist. Everything is bounded: the importer reads files an admin points it at, but a
 * runaway include or a huge file must end in an error, not a hang.
 *
 * <p>The bounds are constants, not config keys: the importer runs before any mailproxy
 * config exists, and a working nginx mail config is far inside all of them.
 */
final class NginxParser {
    static final long MAX_FILE_BYTES = 1 << 20;
    static final long MAX_TOTAL_BYTES = 8L << 20;
    static final int MAX_FILES = 256;
    static final int MAX_INCLUDE_DEPTH = 16;
    static final int MAX_NESTING = 32;
    static final int MAX_ARGS = 1024;
    static final int MAX_DIRECTIVES = 100_000;

    private final Path confPrefix;
    private int files;
    private long bytes;
    private int directives;

    private NginxParser(Path confPrefix) {
        this.confPrefix = confPrefix;
    }

    /** The directives of the main context of {@code file} and everything it includes. */
    static List<Directive> parse(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        Path prefix = abs.getParent() == null ? abs : abs.getParent();
        return new NginxParser(prefix).file(abs, file.toString(), null, 0, 0);
    }

    /** {@code shown}: the name in notes and errors (the main file as given, included ones absolute). */
    private List<Directive> file(Path path, String shown, Source includedAt, int includeDepth, int nesting) {
        String where = includedAt == null ? shown : includedAt + ": include " + shown;
        if (++files > MAX_FILES) throw new NginxConfigException(where + ": more than " + MAX_FILES + " files included");
        String text;
        try {
            long size = Files.size(path);
            if (size > MAX_FILE_BYTES) throw new NginxConfigException(where + ": file larger than " + MAX_FILE_BYTES + " bytes");
            bytes += size;
            if (bytes > MAX_TOTAL_BYTES) throw new NginxConfigException(where + ": the included files exceed " + MAX_TOTAL_BYTES + " bytes");
            text = new String(Files.readAllBytes(path), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new NginxConfigException(where + ": cannot read: " + reason(e));
        }
        Tokenizer t = new Tokenizer(text, shown);
        return body(t, shown, includeDepth, nesting, false);
    }

    /**
     * Directives up to the closing brace of a block ({@code inBlock}) or the end of a file
     * (the main context, or an included file, which cannot close the block it is included in).
     */
    private List<Directive> body(Tokenizer t, String file, int includeDepth, int nesting, boolean inBlock) {
        List<Directive> out = new ArrayList<>();
        while (true) {
            Tokenizer.Token first = t.next();
            switch (first.kind()) {
                case END -> {
                    if (inBlock) throw t.error(first.line(), "unexpected end of file, expecting \"}\"");
                    return out;
                }
                case CLOSE -> {
                    if (!inBlock) throw t.error(first.line(), "unexpected \"}\"");
                    return out;
                }
                case SEMICOLON, OPEN -> throw t.error(first.line(), "unexpected \"" + first.text() + "\"");
                case WORD -> directive(t, file, first, includeDepth, nesting, out);
            }
        }
    }

    private void directive(Tokenizer t, String file, Tokenizer.Token name, int includeDepth, int nesting, List<Directive> out) {
        Source where = new Source(file, name.line());
        if (++directives > MAX_DIRECTIVES) throw NginxConfigException.at(where, "more than " + MAX_DIRECTIVES + " directives");
        List<String> args = new ArrayList<>();
        while (true) {
            Tokenizer.Token tok = t.next();
            switch (tok.kind()) {
                case WORD -> {
                    if (args.size() >= MAX_ARGS) throw NginxConfigException.at(where, "more than " + MAX_ARGS + " parameters");
                    args.add(tok.text());
                }
                case SEMICOLON -> {
                    if (name.text().equals("include")) {
                        out.addAll(include(where, args, includeDepth, nesting));
                    } else {
                        out.add(new Directive(name.text(), List.copyOf(args), null, where));
                    }
                    return;
                }
                case OPEN -> {
                    if (nesting + 1 > MAX_NESTING) throw NginxConfigException.at(where, "blocks nested deeper than " + MAX_NESTING);
                    List<Directive> children = body(t, file, includeDepth, nesting + 1, true);
                    out.add(new Directive(name.text(), List.copyOf(args), List.copyOf(children), where));
                    return;
                }
                case CLOSE -> throw t.error(tok.line(), "unexpected \"}\" (missing \";\" after \"" + name.text() + "\"?)");
                case END -> throw t.error(tok.line(), "unexpected end of file, expecting \";\" or \"}\"");
            }
        }
    }

    private List<Directive> include(Source where, List<String> args, int includeDepth, int nesting) {
        if (args.size() != 1) throw NginxConfigException.at(where, "include takes one file or pattern");
        if (includeDepth + 1 > MAX_INCLUDE_DEPTH) {
            throw NginxConfigException.at(where, "include " + args.get(0) + ": includes nested deeper than "
                    + MAX_INCLUDE_DEPTH + " (an include loop?)");
        }
        Path pattern = confPrefix.resolve(args.get(0)).normalize();
        List<Path> matches;
        if (args.get(0).chars().noneMatch(c -> c == '*' || c == '?' || c == '[')) {
            matches = List.of(pattern);
        } else {
            matches = new ArrayList<>();
            glob(pattern.getRoot(), pattern, 0, matches, where);
            matches.sort(null); // glob(3) returns its matches sorted
        }
        List<Directive> out = new ArrayList<>();
        for (Path p : matches) out.addAll(file(p, p.toString(), where, includeDepth + 1, nesting));
        return out;
    }

    /** Expands one name of {@code pattern} after another, as glob(3) with no flags does. */
    private void glob(Path dir, Path pattern, int index, List<Path> out, Source where) {
        if (index == pattern.getNameCount()) {
            if (Files.isRegularFile(dir)) out.add(dir);
            return;
        }
        String name = pattern.getName(index).toString();
        if (name.chars().noneMatch(c -> c == '*' || c == '?' || c == '[')) {
            Path next = dir.resolve(name);
            if (Files.exists(next)) glob(next, pattern, index + 1, out, where);
            return;
        }
        if (!Files.isDirectory(dir)) return;
        String javaGlob = name.replace("{", "\\{").replace("}", "\\}"); // glob(3) has no {a,b}
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, javaGlob)) {
            List<Path> names = new ArrayList<>();
            for (Path e : entries) {
                // glob(3): a wildcard does not match a leading dot
                if (e.getFileName().toString().startsWith(".") && !name.startsWith(".")) continue;
                names.add(e);
                if (out.size() + names.size() > MAX_FILES) {
                    throw NginxConfigException.at(where, "include " + pattern + ": more than " + MAX_FILES + " matches");
                }
            }
            names.sort(null);
            for (Path e : names) glob(e, pattern, index + 1, out, where);
        } catch (IOException | IllegalArgumentException e) {
            throw NginxConfigException.at(where, "include " + pattern + ": " + e.getMessage());
        }
    }

    private static String reason(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) return "no such file";
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
