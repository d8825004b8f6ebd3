package mailproxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import mailproxy.testing.LogCapture;
import org.junit.jupiter.api.Test;

/** tls-provider = auto: BoringSSL where it loads, else the JDK after one warning that says why. */
class TlsProviderTest {
    @Test
    void autoIsOpensslWhereItLoadsElseTheJdkWithAWarning() {
        assertEquals(TlsProvider.OPENSSL, TlsProvider.AUTO.resolved(null));
        try (LogCapture log = new LogCapture()) {
            assertEquals(TlsProvider.JDK, TlsProvider.AUTO.resolved("no BoringSSL for SunOS/sparcv9"));
            assertTrue(log.text().contains("WARN"), log.text());
            assertTrue(log.text().contains("tls-provider = auto: no BoringSSL for SunOS/sparcv9; client TLS by the JDK"),
                    log.text());
            int length = log.text().length();
            assertEquals(TlsProvider.JDK, TlsProvider.AUTO.resolved("no BoringSSL for SunOS/sparcv9"));
            assertEquals(length, log.text().length(), "told once: " + log.text());
        }
        // What an operator asked for is not second-guessed (config: explicit openssl fails where it cannot load).
        assertEquals(TlsProvider.OPENSSL, TlsProvider.OPENSSL.resolved("no BoringSSL"));
        assertEquals(TlsProvider.JDK, TlsProvider.JDK.resolved(null));
    }

    /** This suite's machines are Linux x86_64: the default is BoringSSL here. */
    @Test
    void autoIsOpensslHere() {
        assertFalse(TlsProvider.OPENSSL.unavailable() != null && System.getProperty("os.name").equals("Linux")
                && System.getProperty("os.arch").equals("amd64"), TlsProvider.OPENSSL.unavailable());
        if (TlsProvider.OPENSSL.unavailable() == null) assertEquals(TlsProvider.OPENSSL, TlsProvider.AUTO.resolved());
    }
}
