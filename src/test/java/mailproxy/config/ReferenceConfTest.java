package mailproxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * reference.conf documents every key of a backend's protocol section with its default
 * (backends {} is empty there, so these live in comments: "# smtp.auth = none ..." for a
 * protocol's own key, "#   tls = off ..." for a key every section has), and a default
 * written there is the one the code takes when the key is left out.
 */
class ReferenceConfTest {
    /** "# smtp.auth = none   what it does" or "#   tls = off   ...": protocol (or none), key, default. */
    private static final Pattern DOCUMENTED = Pattern.compile("^\\s*#\\s+(?:([a-z0-9]+)\\.)?([a-z][a-z-]*)\\s+=\\s+(\\S+)");

    private static String reference() throws IOException {
        try (InputStream in = ConfigLoader.class.getResourceAsStream("/reference.conf")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void everyKeyOfABackendSectionHasALineWithTheDefaultTheCodeTakes(Protocol p) throws IOException {
        Section empty = new Section(ConfigFactory.empty(), p.id(), "t.conf");
        p.backendSection().read(empty, p);
        assertFalse(empty.keysAsked().isEmpty(), "the reader asks for no key?");

        Map<String, String> own = new LinkedHashMap<>();   // key -> documented default for this protocol
        Map<String, String> every = new LinkedHashMap<>(); // key -> documented for every section
        for (String line : reference().split("\n")) {
            Matcher m = DOCUMENTED.matcher(line);
            if (!m.find()) continue;
            if (m.group(1) == null) every.putIfAbsent(m.group(2), m.group(3));
            else if (m.group(1).equals(p.id())) own.put(m.group(2), m.group(3));
        }
        for (String key : empty.keysAsked()) {
            assertTrue(own.containsKey(key) || every.containsKey(key),
                    "reference.conf has no line '# " + p.id() + "." + key + " = DEFAULT' (nor '#   " + key + " = ...')");
        }
        // a protocol's own documented default, written out, reads as leaving it out
        for (Map.Entry<String, String> e : own.entrySet()) {
            assertTrue(empty.keysAsked().contains(e.getKey()), "reference.conf documents " + p.id() + "." + e.getKey()
                    + ", which the code does not read");
            Backend b = ConfigLoader.parse("mailproxy { backends { b { host = \"10.0.0.1\", " + p.id() + " { "
                    + e.getKey() + " = " + e.getValue() + " } } } }", "t.conf").backends().get("b");
            assertEquals(Backend.defaults(p), b.section(p), p.id() + "." + e.getKey() + " = " + e.getValue()
                    + " as documented is not the default");
        }
    }
}
