package mailproxy.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.StandardConstants;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Picks the server certificate by the host name the client asked for in SNI (RFC 6066 §3).
 *
 * <p>Order of choice: entries whose names match the SNI host exactly, else entries with a
 * matching wildcard, else the default group. The default group is the first entry plus any
 * later entry answering for the same names (an EC twin of an RSA certificate, as nginx
 * allows several {@code ssl_certificate} lines). Within the chosen group the first entry
 * whose key type the JDK asks for wins; the JDK asks per key type in the client's order of
 * signature algorithms. Also used on the client side with a single entry.
 */
final class SniKeyManager extends X509ExtendedKeyManager {
    private final List<KeyMaterial> entries;

    SniKeyManager(List<KeyMaterial> entries) {
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("no certificates");
        }
        this.entries = List.copyOf(entries);
    }

    private static String alias(int index) {
        return "cert-" + index;
    }

    private KeyMaterial entry(String alias) {
        if (alias == null || !alias.startsWith("cert-")) {
            return null;
        }
        try {
            int i = Integer.parseInt(alias.substring(5));
            return i >= 0 && i < entries.size() ? entries.get(i) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Indexes of the entries that should serve {@code host} (null: no SNI), best first. */
    List<Integer> candidates(String host) {
        if (host != null) {
            List<Integer> exact = new ArrayList<>();
            List<Integer> wildcard = new ArrayList<>();
            for (int i = 0; i < entries.size(); i++) {
                List<String> names = entries.get(i).hostNames();
                if (names.contains(host)) {
                    exact.add(i);
                } else if (names.stream().anyMatch(n -> n.startsWith("*.") && CertNames.matches(n, host))) {
                    wildcard.add(i);
                }
            }
            if (!exact.isEmpty()) {
                return exact;
            }
            if (!wildcard.isEmpty()) {
                return wildcard;
            }
        }
        List<Integer> defaults = new ArrayList<>(List.of(0));
        List<String> first = entries.get(0).hostNames();
        for (int i = 1; i < entries.size(); i++) {
            if (!first.isEmpty() && entries.get(i).hostNames().equals(first)) {
                defaults.add(i);
            }
        }
        return defaults;
    }

    private String choose(String keyType, Supplier<SSLSession> handshake) {
        String type = keyType.contains("_") ? keyType.substring(0, keyType.indexOf('_')) : keyType;
        if (entries.size() == 1) {
            // Nothing to choose by name: the SNI lookup (the engine's handshake session and its
            // list of names, per handshake and key type) is skipped (bench/RESULTS.md, "Issue 22: short connections over TLS").
            return entries.get(0).keyType().equals(type) ? alias(0) : null;
        }
        for (int i : candidates(sniHost(handshake.get()))) {
            if (entries.get(i).keyType().equals(type)) {
                return alias(i);
            }
        }
        return null;
    }

    static String sniHost(SSLSession handshake) {
        if (handshake instanceof ExtendedSSLSession ext) {
            for (SNIServerName n : ext.getRequestedServerNames()) {
                if (n.getType() == StandardConstants.SNI_HOST_NAME && n instanceof SNIHostName h) {
                    String host = h.getAsciiName().toLowerCase(Locale.ROOT);
                    return host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
                }
            }
        }
        return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return choose(keyType, () -> socket instanceof SSLSocket s ? s.getHandshakeSession() : null);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return choose(keyType, () -> engine == null ? null : engine.getHandshakeSession());
    }

    /** Client side (backend client certificate): the first entry of a wanted key type. */
    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        for (String keyType : keyTypes) {
            for (int i = 0; i < entries.size(); i++) {
                if (entries.get(i).keyType().equals(keyType)) {
                    return alias(i);
                }
            }
        }
        return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return chooseClientAlias(keyTypes, issuers, null);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return aliases(keyType);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return aliases(keyType);
    }

    private String[] aliases(String keyType) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).keyType().equals(keyType)) {
                out.add(alias(i));
            }
        }
        return out.isEmpty() ? null : out.toArray(String[]::new);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        KeyMaterial m = entry(alias);
        return m == null ? null : m.chain().toArray(X509Certificate[]::new);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        KeyMaterial m = entry(alias);
        return m == null ? null : m.key();
    }

    @Override
    public String toString() {
        return "SniKeyManager" + Arrays.toString(entries.stream().map(KeyMaterial::origin).toArray());
    }
}
