package mailproxy.config;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigIncludeContext;
import com.typesafe.config.ConfigIncluder;
import com.typesafe.config.ConfigIncluderClasspath;
import com.typesafe.config.ConfigIncluderFile;
import com.typesafe.config.ConfigIncluderURL;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How {@code include} works in a mailproxy config (README, "Configuration"): the name is
 * a file, read relative to the file that names it (not to the working directory, and
 * whatever path --config was given as), and it must exist. HOCON's own default skips a
 * missing include silently, and resolves nothing beside a bare --config name, so a
 * forgotten file showed up later as a misleading error ("no router named ..."). URL and
 * class path includes are refused: the config comes from files only. Includes nest at
 * most {@link #MAX_DEPTH} deep, which also ends a loop of files including each other.
 */
final class FileIncludes implements ConfigIncluder, ConfigIncluderFile, ConfigIncluderURL, ConfigIncluderClasspath {
    static final int MAX_DEPTH = 8;

    private final Path including;
    private final int depth;

    FileIncludes(Path including, int depth) {
        this.including = including;
        this.depth = depth;
    }

    /** The options for parsing {@code file}, whose includes this resolves. */
    static ConfigParseOptions options(Path file, int depth) {
        return ConfigParseOptions.defaults().setAllowMissing(false).setIncluder(new FileIncludes(file, depth));
    }

    @Override
    public ConfigIncluder withFallback(ConfigIncluder fallback) {
        return this; // never the default includer: it would skip a missing file
    }

    /** {@code include "name"} and {@code include required("name")}. */
    @Override
    public ConfigObject include(ConfigIncludeContext context, String what) {
        if (what.matches("(?i)[a-z][a-z0-9+.-]*://.*")) throw refused(what, "only files can be included");
        return read(what);
    }

    /** {@code include file("name")}: the same, relative to the including file too. */
    @Override
    public ConfigObject includeFile(ConfigIncludeContext context, File what) {
        return read(what.getPath());
    }

    @Override
    public ConfigObject includeURL(ConfigIncludeContext context, URL what) {
        throw refused(what.toString(), "only files can be included");
    }

    @Override
    public ConfigObject includeResources(ConfigIncludeContext context, String what) {
        throw refused(what, "only files can be included");
    }

    private ConfigObject read(String name) {
        Path target = including.resolveSibling(name);
        if (!Files.isRegularFile(target) || !Files.isReadable(target)) {
            throw refused(name, "cannot read " + target + " (an include is read relative to the file that names it)");
        }
        if (depth >= MAX_DEPTH) throw refused(name, "includes nested more than " + MAX_DEPTH + " deep (a loop?)");
        try {
            return ConfigFactory.parseFile(target.toFile(), options(target, depth + 1)).root();
        } catch (com.typesafe.config.ConfigException e) {
            throw ConfigLoader.parseError(e, target.toString());
        }
    }

    /** The error names the including file and the line of the include (found by its quoted name). */
    private ConfigException refused(String name, String why) {
        return new ConfigException("config error in " + including + lineOf(name) + ": include \"" + name + "\": " + why);
    }

    private String lineOf(String name) {
        try {
            List<String> lines = Files.readAllLines(including);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.contains("include") && line.contains("\"" + name + "\"")) return ":" + (i + 1);
            }
        } catch (IOException | RuntimeException e) {
            // no line number then; the file and the name still say where
        }
        return "";
    }
}
