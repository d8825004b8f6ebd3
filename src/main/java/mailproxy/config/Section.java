package mailproxy.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException.BadValue;
import com.typesafe.config.ConfigException.WrongType;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One object of the config being read into a record. Every getter names the full key in
 * its error; {@link #rejectUnknownKeys()} then fails on any key nobody asked for, which is
 * how a misspelt key is caught instead of silently ignored.
 */
final class Section {
    private final Config config;
    private final String path;
    private final String file;
    private final Set<String> read = new HashSet<>();
    /** Every key looked at, present or not: the reader's vocabulary (ReferenceConfTest). */
    private final Set<String> asked = new HashSet<>();

    Section(Config config, String path, String file) {
        this.config = config;
        this.path = path;
        this.file = file;
    }

    String path() { return path; }

    String file() { return file; }

    /** The keys read so far (for a reader's check of its declared keys). */
    Set<String> keysRead() { return Set.copyOf(read); }

    ConfigException error(String key, String expected) {
        String where = file;
        if (key != null && config.hasPath(quote(key))) {
            ConfigOrigin origin = config.getValue(quote(key)).origin();
            if (origin.lineNumber() > 0 && !"reference.conf".equals(origin.resource())) {
                // the file the key is in: an included file names itself, not the main file
                where = (origin.filename() != null ? origin.filename() : file) + ":" + origin.lineNumber();
            }
        }
        String full = key == null ? path : join(key);
        return new ConfigException("config error in " + where + ": " + full + ": " + expected);
    }

    /** The keys looked at so far, present or not. */
    Set<String> keysAsked() { return Set.copyOf(asked); }

    boolean has(String key) {
        asked.add(key);
        return config.hasPath(quote(key));
    }

    private <T> T get(String key, String expected, java.util.function.Function<String, T> getter) {
        read.add(key);
        asked.add(key);
        if (!has(key)) throw error(key, "missing; expected " + expected);
        try {
            return getter.apply(quote(key));
        } catch (WrongType | BadValue | NumberFormatException e) {
            throw error(key, "expected " + expected + ", got " + config.getValue(quote(key)).render());
        }
    }

    String string(String key) {
        return get(key, "a string", config::getString);
    }

    /** A string that may hold a secret (a URL with a password): an error never shows the value. */
    String secretString(String key) {
        read.add(key);
        if (!has(key)) throw error(key, "missing; expected a string");
        if (config.getValue(quote(key)).valueType() != ConfigValueType.STRING) {
            throw error(key, "expected a string, got a " + config.getValue(quote(key)).valueType().name().toLowerCase(Locale.ROOT));
        }
        return config.getString(quote(key));
    }

    int integer(String key, int min, int max) {
        int v = get(key, "a whole number", config::getInt);
        if (v < min || v > max) throw error(key, "expected a number from " + min + " to " + max + ", got " + v);
        return v;
    }

    long bytes(String key, long min, long max) {
        // getBytes refuses negative numbers, but smtp-size = -1 ("no SIZE") is documented:
        // read plain numbers as numbers and let the range check below judge them.
        long v = get(key, "a size such as 8192 or 64k", k -> config.getValue(k).valueType() == ConfigValueType.NUMBER
                ? config.getLong(k) : config.getBytes(k));
        if (v < min || v > max) throw error(key, "expected a size from " + min + " to " + max + ", got " + v);
        return v;
    }

    boolean bool(String key) {
        return get(key, "true or false", config::getBoolean);
    }

    Duration duration(String key, Duration min) {
        Duration d = get(key, "a duration such as 30s, 5m or 24h", config::getDuration);
        if (d.compareTo(min) < 0) throw error(key, "expected at least " + min + ", got " + d);
        return d;
    }

    List<String> strings(String key) {
        return List.copyOf(get(key, "a list of strings", config::getStringList));
    }

    /** A single string or a list of strings. */
    List<String> stringOrList(String key) {
        read.add(key);
        if (has(key) && config.getValue(quote(key)).valueType() == ConfigValueType.STRING) {
            return List.of(config.getString(quote(key)));
        }
        return strings(key);
    }

    <E extends Enum<E>> E oneOf(String key, Class<E> type) {
        String v = string(key);
        try {
            return Enum.valueOf(type, v.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            StringBuilder names = new StringBuilder();
            for (E c : type.getEnumConstants()) {
                if (!names.isEmpty()) names.append(", ");
                names.append(c.name().toLowerCase(Locale.ROOT).replace('_', '-'));
            }
            throw error(key, "expected one of " + names + ", got '" + v + "'");
        }
    }

    Section section(String key) {
        get(key, "an object { ... }", config::getConfig);
        return new Section(config.getConfig(quote(key)), join(key), file);
    }

    /** A section that may be absent; null then. */
    Section optionalSection(String key) {
        read.add(key);
        return has(key) ? section(key) : null;
    }

    List<? extends ConfigObject> objects(String key) {
        return get(key, "a list of objects [ {...}, ... ]", config::getObjectList);
    }

    /** Keys of a map-like object whose keys are names chosen by the admin (backends, users). */
    Map<String, ConfigValue> entries(String key) {
        ConfigObject o = get(key, "an object { name = ... }", config::getObject);
        return new LinkedHashMap<>(o);
    }

    /** A map of names to strings (users = { "bob@x" = store1 }). */
    Map<String, String> stringMap(String key) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> e : entries(key).entrySet()) {
            if (e.getValue().valueType() != ConfigValueType.STRING) {
                throw error(key, "expected " + e.getKey() + " = a string, got " + e.getValue().render());
            }
            out.put(e.getKey(), (String) e.getValue().unwrapped());
        }
        return out;
    }

    void rejectUnknownKeys() {
        for (String k : config.root().keySet()) {
            if (!read.contains(k)) throw error(k, "unknown key (see reference.conf for the keys there are)");
        }
    }

    /** For objects whose keys are checked elsewhere (listener-defaults). */
    void rejectUnknownKeys(Set<String> allowed) {
        for (String k : config.root().keySet()) {
            if (!allowed.contains(k)) throw error(k, "unknown key (see reference.conf for the keys there are)");
        }
    }

    private String join(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static String quote(String key) {
        return com.typesafe.config.ConfigUtil.joinPath(key);
    }
}
