package mailproxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * include in a config file (README, "Configuration"): relative to the including file, a
 * missing one is an error naming it, and an error names the file it is in with its line.
 */
class ConfigIncludeTest {
    private static final String COMMON = """
            mailproxy {
              backends { b { host = "127.0.0.1", imap { port = 143 } } }
              routers { r { type = static, default = b } }
            }
            """;

    private static final String MAIN = """
            include "common.conf"
            mailproxy {
              default-router = r
              listeners = [ { protocol = imap, listen = "127.0.0.1:0" } ]
            }
            """;

    @Test
    void anIncludeIsReadBesideTheFileThatNamesItAndNestsFromThere(@TempDir Path dir) throws Exception {
        Path sub = Files.createDirectories(dir.resolve("conf.d"));
        Files.writeString(dir.resolve("main.conf"), "include \"conf.d/stores.conf\"\n" + MAIN.replace("include \"common.conf\"\n", ""));
        Files.writeString(sub.resolve("stores.conf"), "include \"common.conf\"\n");
        Files.writeString(sub.resolve("common.conf"), COMMON);
        ProxyConfig c = ConfigLoader.load(dir.resolve("main.conf"));
        assertEquals("r", c.defaultRouter());
        assertTrue(c.backends().containsKey("b"));
    }

    @Test
    void aMissingIncludeIsAnErrorNamingItAndItsLine(@TempDir Path dir) throws Exception {
        Path main = dir.resolve("main.conf");
        Files.writeString(main, "# the shared part\n" + MAIN);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(main));
        assertTrue(e.getMessage().startsWith("config error in " + main + ":2: include \"common.conf\": cannot read "
                + dir.resolve("common.conf")), e.getMessage());
    }

    @Test
    void aWrongValueInAnIncludedFileNamesThatFileAndItsLine(@TempDir Path dir) throws Exception {
        Path main = dir.resolve("main.conf");
        Files.writeString(main, MAIN);
        Files.writeString(dir.resolve("common.conf"), COMMON.replace("port = 143", "port = imap"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(main));
        assertTrue(e.getMessage().startsWith("config error in " + dir.resolve("common.conf") + ":2: "), e.getMessage());
        assertTrue(e.getMessage().contains("mailproxy.backends.b.imap.port"), e.getMessage());
    }

    @Test
    void aSyntaxErrorInAnIncludedFileNamesThatFileAndItsLine(@TempDir Path dir) throws Exception {
        Path main = dir.resolve("main.conf");
        Files.writeString(main, MAIN);
        Files.writeString(dir.resolve("common.conf"), COMMON.replace("routers { r", "routers { r {{"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(main));
        assertTrue(e.getMessage().startsWith("config error in " + dir.resolve("common.conf") + ":3: "), e.getMessage());
    }

    @Test
    void filesThatIncludeEachOtherAreAnErrorNotAHang(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.conf"), "include \"b.conf\"\n");
        Files.writeString(dir.resolve("b.conf"), "include \"a.conf\"\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(dir.resolve("a.conf")));
        assertTrue(e.getMessage().contains("nested more than " + FileIncludes.MAX_DEPTH), e.getMessage());
    }

    @Test
    void urlsAreNotIncluded(@TempDir Path dir) throws Exception {
        Path main = dir.resolve("main.conf");
        Files.writeString(main, "include \"http://127.0.0.1:1/common.conf\"\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(main));
        assertTrue(e.getMessage().contains(main + ":1: include") && e.getMessage().contains("only files"), e.getMessage());
    }
}
