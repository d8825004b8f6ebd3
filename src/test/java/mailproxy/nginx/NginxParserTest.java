package mailproxy.nginx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** nginx config syntax as nginx reads it (ngx_conf_read_token, ngx_conf_include). */
class NginxParserTest {
    @TempDir
    Path dir;

    private List<Directive> parse(String text) throws IOException {
        Path f = dir.resolve("nginx.conf");
        Files.writeString(f, text);
        return NginxParser.parse(f);
    }

    private String error(String text) {
        return assertThrows(NginxConfigException.class, () -> parse(text)).getMessage();
    }

    @Test
    void quotesEscapesVariablesAndComments() throws IOException {
        List<Directive> d = parse("""
                # a comment
                a "b c" 'd\\'e' f\\ g "h\\"i" "t\\tu" "\\x" b#c;   # trailing comment
                set $v ${host}_y;
                """);
        // "f\ g": the backslash keeps the space in the word, and nginx keeps the backslash too
        assertEquals(List.of("b c", "d'e", "f\\ g", "h\"i", "t\tu", "\\x", "b#c"), d.get(0).args());
        assertEquals(2, d.get(0).where().line());
        assertEquals(List.of("$v", "${host}_y"), d.get(1).args());
    }

    @Test
    void blocksNestAndKeepTheirLines() throws IOException {
        List<Directive> d = parse("mail {\n  server {\n    listen 143;\n  }\n}\n");
        Directive server = d.get(0).children().get(0);
        assertEquals("server", server.name());
        assertEquals(3, server.children().get(0).where().line());
        assertEquals(List.of("143"), server.children().get(0).args());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "mail {\\n  listen 1;\\n            | nginx.conf:3: unexpected end of file, expecting \"}\"",
            "a 1;\\n}\\n                        | nginx.conf:2: unexpected \"}\"",
            "a 1\\n                             | nginx.conf:2: unexpected end of file, expecting \";\" or \"}\"",
            "mail { a 1 }                       | nginx.conf:1: unexpected \"}\" (missing \";\" after \"a\"?)",
            "a \"b\"c;                          | nginx.conf:1: unexpected \"c\" after a quoted string",
            "a \"never closed;\\n               | nginx.conf:1: unexpected end of file, expecting \"",
            ";                                  | nginx.conf:1: unexpected \";\"",
            "a ${b;\\n                          | nginx.conf:1: the closing bracket in a variable is missing"})
    void syntaxErrorsNameFileAndLine(String text, String message) {
        String m = error(text.replace("\\n", "\n"));
        assertTrue(m.endsWith(message), m);
        assertTrue(m.startsWith(dir.resolve("nginx.conf").toString()), m);
    }

    @Test
    void limitsEndInErrorsNotInAHang() {
        assertTrue(error("a " + "x".repeat(Tokenizer.MAX_TOKEN + 1) + ";").contains("too long parameter"));
        String deep = "b {".repeat(NginxParser.MAX_NESTING + 1) + "}".repeat(NginxParser.MAX_NESTING + 1);
        assertTrue(error(deep).contains("blocks nested deeper than " + NginxParser.MAX_NESTING));
    }

    @Test
    void includesResolveAgainstTheMainFilesFolderInGlobOrder() throws IOException {
        Files.createDirectories(dir.resolve("conf.d/sub"));
        Files.writeString(dir.resolve("conf.d/b.conf"), "b 1;\n");
        Files.writeString(dir.resolve("conf.d/a.conf"), "a 1;\ninclude conf.d/sub/c.inc;\n"); // relative to nginx.conf's folder
        Files.writeString(dir.resolve("conf.d/.hidden.conf"), "hidden 1;\n");
        Files.writeString(dir.resolve("conf.d/sub/c.inc"), "c 1;\n");
        List<Directive> d = parse("mail {\n  include conf.d/*.conf;\n  include none/*.conf;\n  z 1;\n}\n");
        List<String> names = d.get(0).children().stream().map(Directive::name).toList();
        assertEquals(List.of("a", "c", "b", "z"), names);
        assertEquals(dir.resolve("conf.d/sub/c.inc") + ":1", d.get(0).children().get(1).where().toString());
    }

    @Test
    void aMissingIncludeIsNamedWithWhereItWasIncluded() {
        String m = error("mail {\n  include missing.conf;\n}\n");
        assertEquals(dir.resolve("nginx.conf") + ":2: include " + dir.resolve("missing.conf") + ": cannot read: no such file", m);
    }

    @Test
    void anIncludeLoopStopsAtTheDepthBound() throws IOException {
        Files.writeString(dir.resolve("loop.conf"), "include loop.conf;\n");
        assertTrue(error("include loop.conf;\n").contains("includes nested deeper than " + NginxParser.MAX_INCLUDE_DEPTH));
    }

    @Test
    void anIncludedFileCannotCloseTheBlockItIsIn() throws IOException {
        Files.writeString(dir.resolve("bad.conf"), "a 1;\n}\n");
        assertTrue(error("mail {\n  include bad.conf;\n}\n").endsWith("bad.conf:2: unexpected \"}\""));
    }
}
