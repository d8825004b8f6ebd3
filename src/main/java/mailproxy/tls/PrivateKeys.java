package mailproxy.tls;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.List;
import java.util.Map;

/**
 * Reads the one private key of a PEM file. {@code KeyFactory} only reads PKCS#8, so the two
 * older OpenSSL forms are wrapped into PKCS#8 first:
 * <ul>
 *   <li>{@code BEGIN PRIVATE KEY}: PKCS#8 PrivateKeyInfo (RFC 5208 §5), RSA, RSASSA-PSS, EC,
 *       Ed25519, Ed448; the algorithm OID inside picks the KeyFactory.</li>
 *   <li>{@code BEGIN RSA PRIVATE KEY}: PKCS#1 RSAPrivateKey (RFC 8017 appendix A.1.2).</li>
 *   <li>{@code BEGIN EC PRIVATE KEY}: SEC1 ECPrivateKey (RFC 5915 §3); the curve OID comes
 *       from its {@code parameters [0]} field, because PKCS#8 wants it in the algorithm.</li>
 * </ul>
 * Encrypted keys (PKCS#8 {@code ENCRYPTED PRIVATE KEY} or legacy {@code Proc-Type:
 * 4,ENCRYPTED}) are refused with a message saying so: the proxy has no place to keep the
 * passphrase that would be safer than a file with tight permissions.
 */
final class PrivateKeys {
    static final String RSA_OID = "1.2.840.113549.1.1.1";
    static final String EC_OID = "1.2.840.10045.2.1";

    /** PKCS#8 algorithm OIDs we can load, to the JDK KeyFactory name. */
    private static final Map<String, String> SUPPORTED = Map.of(
            RSA_OID, "RSA",
            "1.2.840.113549.1.1.10", "RSASSA-PSS",
            EC_OID, "EC",
            "1.3.101.112", "Ed25519",
            "1.3.101.113", "Ed448");

    /** Key types we recognise but that cannot serve a TLS certificate here, for a clear error. */
    private static final Map<String, String> KNOWN_UNSUPPORTED = Map.of(
            "1.2.840.10040.4.1", "DSA",
            "1.2.840.113549.1.3.1", "DH",
            "1.3.101.110", "X25519",
            "1.3.101.111", "X448");

    private PrivateKeys() {
    }

    static PrivateKey load(Path file) throws TlsConfigException {
        List<PemFile.Block> keys = PemFile.blocks(file, "key").stream()
                .filter(b -> b.type().endsWith("PRIVATE KEY"))
                .toList();
        if (keys.isEmpty()) {
            throw TlsConfigException.of(file, "no private key in key file (expected -----BEGIN"
                    + " PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)");
        }
        if (keys.size() > 1) {
            throw TlsConfigException.of(file, keys.size() + " private keys in key file, expected one");
        }
        PemFile.Block b = keys.get(0);
        if (b.encrypted()) {
            throw TlsConfigException.of(file, "private key is encrypted (" + describe(b)
                    + "); encrypted keys are not supported: store it unencrypted with restricted"
                    + " file permissions, e.g. openssl pkey -in KEY -out PLAIN_KEY");
        }
        try {
            return switch (b.type()) {
                case "PRIVATE KEY" -> fromPkcs8(file, b.der());
                case "RSA PRIVATE KEY" -> fromPkcs8(file, wrapPkcs1(b.der()));
                case "EC PRIVATE KEY" -> fromPkcs8(file, wrapSec1(file, b.der()));
                case "DSA PRIVATE KEY" -> throw TlsConfigException.of(file, "unsupported key type DSA");
                default -> throw TlsConfigException.of(file, "unsupported key format BEGIN " + b.type()
                        + " (supported: PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY)");
            };
        } catch (IllegalArgumentException e) {
            throw TlsConfigException.of(file, "malformed " + b.type() + " at line " + b.line()
                    + ": " + e.getMessage(), e);
        }
    }

    private static String describe(PemFile.Block b) {
        return b.type().startsWith("ENCRYPTED ") ? "BEGIN " + b.type() : "Proc-Type: 4,ENCRYPTED";
    }

    /** PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, OCTET STRING, ... }. */
    static PrivateKey fromPkcs8(Path file, byte[] pkcs8) throws TlsConfigException {
        List<Der.Element> info = Der.read(pkcs8).children();
        if (info.size() < 3 || info.get(1).tag() != Der.SEQUENCE) {
            throw new IllegalArgumentException("not a PKCS#8 PrivateKeyInfo");
        }
        List<Der.Element> algorithm = info.get(1).children();
        if (algorithm.isEmpty() || algorithm.get(0).tag() != Der.OID) {
            throw new IllegalArgumentException("no algorithm OID");
        }
        String oid = Der.oidToString(algorithm.get(0).value());
        String name = SUPPORTED.get(oid);
        if (name == null) {
            String known = KNOWN_UNSUPPORTED.get(oid);
            throw TlsConfigException.of(file, "unsupported key type "
                    + (known != null ? known : "with algorithm OID " + oid)
                    + " (supported: RSA, RSASSA-PSS, EC, Ed25519, Ed448)");
        }
        try {
            return KeyFactory.getInstance(name).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            throw TlsConfigException.of(file, "cannot load " + name + " private key: "
                    + e.getMessage(), e);
        }
    }

    /** RFC 8017 A.1.2 key inside PrivateKeyInfo with algorithm rsaEncryption and NULL parameters. */
    static byte[] wrapPkcs1(byte[] pkcs1) {
        Der.read(pkcs1); // one well-formed element, or IllegalArgumentException
        return Der.sequence(
                Der.integer(0),
                Der.sequence(Der.oid(RSA_OID), Der.nul()),
                Der.octetString(pkcs1));
    }

    /**
     * RFC 5915 §3: ECPrivateKey ::= SEQUENCE { version INTEGER (1), privateKey OCTET STRING,
     * parameters [0] ECParameters OPTIONAL, publicKey [1] BIT STRING OPTIONAL }. RFC 5480
     * §2.1.1: ECParameters is a namedCurve OID here (implicit and specified curves are not
     * allowed in PKIX). The curve OID moves into the PKCS#8 AlgorithmIdentifier.
     */
    static byte[] wrapSec1(Path file, byte[] sec1) throws TlsConfigException {
        List<Der.Element> fields = Der.read(sec1).children();
        if (fields.size() < 2 || fields.get(0).tag() != Der.INTEGER
                || fields.get(1).tag() != Der.OCTET_STRING) {
            throw new IllegalArgumentException("not a SEC1 ECPrivateKey");
        }
        byte[] curveOid = null;
        for (Der.Element f : fields.subList(2, fields.size())) {
            if (f.tag() == Der.CONTEXT_0) {
                Der.Element params = Der.read(f.value());
                if (params.tag() != Der.OID) {
                    throw TlsConfigException.of(file, "EC key with explicit curve parameters is not"
                            + " supported; use a named curve (openssl ec -param_enc named_curve)");
                }
                curveOid = params.encoded();
            }
        }
        if (curveOid == null) {
            throw TlsConfigException.of(file, "EC key does not name its curve (no parameters"
                    + " field); convert it to PKCS#8 with openssl pkey");
        }
        return Der.sequence(
                Der.integer(0),
                Der.sequence(Der.oid(EC_OID), curveOid),
                Der.octetString(sec1));
    }
}
