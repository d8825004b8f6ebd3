package mailproxy.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The grammars two protocols share sit below both (docs/ARCHITECTURE.md, "Packages"): the
 * SMTP family's in {@code envelope}, which imports nothing of ours, and the IMAP and
 * ManageSieve line-and-literal reader in {@code wire}; smtp and lmtp, imap and sieve use them
 * and still do not import each other.
 */
class SharedGrammarTest {
    @Test
    void theSmtpFamilyGrammarImportsNothingOfOurs() throws IOException {
        assertEquals(Set.of(), PackageCycleTest.dependencies().get("mailproxy.envelope"));
    }

    @Test
    void theProtocolsThatShareAGrammarDoNotImportEachOther() throws IOException {
        Map<String, Set<String>> graph = PackageCycleTest.dependencies();
        assertTrue(graph.get("mailproxy.smtp").contains("mailproxy.envelope"), "smtp parses with envelope");
        assertTrue(graph.get("mailproxy.lmtp").contains("mailproxy.envelope"), "lmtp parses with envelope");
        assertTrue(!graph.get("mailproxy.lmtp").contains("mailproxy.smtp"), "lmtp imports smtp");
        assertTrue(!graph.get("mailproxy.smtp").contains("mailproxy.lmtp"), "smtp imports lmtp");
        assertTrue(!graph.get("mailproxy.sieve").contains("mailproxy.imap"), "sieve imports imap");
        assertTrue(!graph.get("mailproxy.imap").contains("mailproxy.sieve"), "imap imports sieve");
    }
}
