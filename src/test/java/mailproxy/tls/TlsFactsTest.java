package mailproxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;

class TlsFactsTest {
    /**
     * Without a client CA no client certificate can come (the server asks for none), so the
     * session is not asked: asking throws SSLPeerUnverifiedException, a stack trace per
     * connection.
     */
    @Test
    void withoutClientCertificatesThePeerCertificatesAreNotAskedFor() {
        SSLSession session = (SSLSession) Proxy.newProxyInstance(SSLSession.class.getClassLoader(),
                new Class<?>[] {SSLSession.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getProtocol" -> "TLSv1.3";
                    case "getCipherSuite" -> "TLS_AES_128_GCM_SHA256";
                    default -> throw new AssertionError("asked for " + method.getName());
                });
        TlsFacts facts = TlsFacts.of(session, null);
        assertEquals(new TlsFacts("TLSv1.3", "TLS_AES_128_GCM_SHA256", TlsFacts.NONE, java.util.Optional.empty()), facts);
        assertTrue(facts.identity().isEmpty());
    }
}
