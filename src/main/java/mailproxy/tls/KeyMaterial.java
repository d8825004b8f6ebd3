package mailproxy.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loaded private key with its certificate chain (leaf first), checked to belong
 * together, and the host names the leaf answers for (for SNI).
 */
record KeyMaterial(String origin, PrivateKey key, List<X509Certificate> chain, List<String> hostNames) {
    private static final Logger LOG = LoggerFactory.getLogger(KeyMaterial.class);

    X509Certificate leaf() {
        return chain.get(0);
    }

    /** JSSE key type of the key: RSA, RSASSA-PSS, EC or EdDSA. */
    String keyType() {
        return keyType(key.getAlgorithm());
    }

    static String keyType(String algorithm) {
        return switch (algorithm) {
            case "Ed25519", "Ed448" -> "EdDSA";
            default -> algorithm;
        };
    }

    static KeyMaterial load(CertificateSource source) throws TlsConfigException {
        KeyMaterial m = switch (source) {
            case CertificateSource.Pem p -> fromPem(p);
            case CertificateSource.Pkcs12 p -> fromPkcs12(p);
        };
        Instant notAfter = m.leaf().getNotAfter().toInstant();
        if (notAfter.isBefore(Instant.now())) {
            // Not fatal: an operator may start with an old certificate on purpose (tests, a
            // backend that does not check); clients will refuse it and the log says why.
            LOG.warn("{}: certificate {} expired on {}", m.origin(),
                    m.leaf().getSubjectX500Principal(), notAfter);
        }
        return m;
    }

    private static KeyMaterial fromPem(CertificateSource.Pem p) throws TlsConfigException {
        List<X509Certificate> chain = PemFile.certificates(p.certificateChain(), "certificate");
        PrivateKey key = PrivateKeys.load(p.privateKey());
        checkMatch(key, chain.get(0), p.privateKey() + ": private key does not match certificate "
                + p.certificateChain());
        return new KeyMaterial(p.certificateChain().toString(), key, chain,
                CertNames.hostNames(chain.get(0)));
    }

    private static KeyMaterial fromPkcs12(CertificateSource.Pkcs12 p) throws TlsConfigException {
        Path file = p.file();
        byte[] bytes = PemFile.readFile(file, "PKCS#12");
        char[] password = p.password().toCharArray();
        KeyStore ks;
        try {
            ks = KeyStore.getInstance("PKCS12");
            ks.load(new ByteArrayInputStream(bytes), password);
        } catch (IOException e) {
            String why = e.getCause() instanceof UnrecoverableKeyException
                    ? "wrong password for PKCS#12 keystore"
                    : new String(bytes, 0, Math.min(bytes.length, 11), StandardCharsets.ISO_8859_1)
                            .equals("-----BEGIN ") ? "is a PEM file, not a PKCS#12 keystore"
                    : "not a readable PKCS#12 keystore (" + e.getMessage() + ")";
            throw TlsConfigException.of(file, why, e);
        } catch (GeneralSecurityException e) {
            throw TlsConfigException.of(file, "cannot open PKCS#12 keystore: " + e.getMessage(), e);
        }
        try {
            for (String alias : Collections.list(ks.aliases())) {
                if (!ks.isKeyEntry(alias)) {
                    continue;
                }
                Key key;
                try {
                    key = ks.getKey(alias, password);
                } catch (UnrecoverableKeyException e) {
                    throw TlsConfigException.of(file, "key entry '" + alias
                            + "' does not open with the keystore password", e);
                }
                if (!(key instanceof PrivateKey pk)) {
                    continue;
                }
                if (!List.of("RSA", "RSASSA-PSS", "EC", "EdDSA").contains(keyType(pk.getAlgorithm()))) {
                    throw TlsConfigException.of(file, "unsupported key type " + pk.getAlgorithm()
                            + " in entry '" + alias + "'");
                }
                Certificate[] certs = ks.getCertificateChain(alias);
                if (certs == null || certs.length == 0) {
                    throw TlsConfigException.of(file, "no certificate in keystore entry '" + alias + "'");
                }
                List<X509Certificate> chain = new ArrayList<>();
                for (Certificate c : certs) {
                    chain.add((X509Certificate) c);
                }
                checkMatch(pk, chain.get(0), file + ": private key of entry '" + alias
                        + "' does not match its certificate");
                return new KeyMaterial(file.toString(), pk, List.copyOf(chain),
                        CertNames.hostNames(chain.get(0)));
            }
        } catch (GeneralSecurityException e) {
            throw TlsConfigException.of(file, "cannot read PKCS#12 keystore: " + e.getMessage(), e);
        }
        throw TlsConfigException.of(file, "no private key entry in PKCS#12 keystore");
    }

    /**
     * A key that does not belong to its certificate would only show up as every handshake
     * failing, so it is a startup error. RSA keys carry their public half (modulus and
     * exponent), compared directly; an EC or EdDSA private key does not, so those are
     * checked by signing a test message and verifying it with the certificate's public key.
     */
    static void checkMatch(PrivateKey key, X509Certificate cert, String problem)
            throws TlsConfigException {
        PublicKey pub = cert.getPublicKey();
        String keyType = keyType(key.getAlgorithm());
        String certType = keyType(pub.getAlgorithm());
        boolean bothRsa = key instanceof RSAKey && pub instanceof RSAKey;
        if (!bothRsa && !keyType.equals(certType)) {
            throw new TlsConfigException(problem + " (key is " + keyType + ", certificate has "
                    + certType + ")");
        }
        if (bothRsa) {
            RSAPublicKey rpub = (RSAPublicKey) pub;
            boolean same = ((RSAKey) key).getModulus().equals(rpub.getModulus())
                    && (!(key instanceof RSAPrivateCrtKey crt)
                            || crt.getPublicExponent().equals(rpub.getPublicExponent()));
            if (!same) {
                throw new TlsConfigException(problem + " (different RSA public keys)");
            }
            return;
        }
        if (key instanceof ECKey ek && pub instanceof ECKey ep
                && !ek.getParams().getCurve().equals(ep.getParams().getCurve())) {
            throw new TlsConfigException(problem + " (different EC curves)");
        }
        String algorithm = key instanceof ECKey ? "SHA256withECDSA" : key.getAlgorithm();
        try {
            byte[] probe = "mailproxy key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] sig = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(pub);
            verifier.update(probe);
            if (!verifier.verify(sig)) {
                throw new TlsConfigException(problem + " (different public keys)");
            }
        } catch (GeneralSecurityException e) {
            throw new TlsConfigException(problem + " (" + e.getMessage() + ")", e);
        }
    }
}
