package mailproxy.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The one certificate builder of the tests: keys and certificates made at test time with
 * openssl (on PATH) and keytool (of the JDK running the tests) in a folder (a JUnit
 * {@code @TempDir}), each valid for two days. Nothing else in the tests runs openssl to
 * make a certificate. Two ready-made sets are declared with it: {@link SiteCertificates}
 * (a mail site's PKI, as an admin would have it) and {@link KeyFormatCertificates} (every
 * key form the loader must read).
 */
public final class TestPki {
    /** The password of every PKCS#12 file made here. */
    public static final String PASSWORD = "changeit";

    /** The kinds of private key, in the PEM form each is written in. */
    public enum Key {
        /** RSA 2048, PKCS#8 ("BEGIN PRIVATE KEY"). */
        RSA,
        /** RSA 2048, PKCS#1 ("BEGIN RSA PRIVATE KEY"). */
        RSA_PKCS1,
        /** EC P-256, PKCS#8. */
        EC,
        /** EC P-256, SEC1 ("BEGIN EC PRIVATE KEY"). */
        EC_SEC1,
        /** Ed25519, PKCS#8. */
        ED25519
    }

    /** A certificate (PEM) and its private key (PEM). */
    public record Pair(Path cert, Path key) {}

    private final Path dir;

    private TestPki(Path dir) {
        this.dir = dir;
    }

    /** A builder writing into {@code dir}. */
    public static TestPki in(Path dir) {
        return new TestPki(dir);
    }

    /** How a set of certificates is made with a builder. */
    @FunctionalInterface
    interface SetMaker<T> {
        T make(TestPki pki) throws IOException;
    }

    private static final Map<Class<?>, Object> SHARED = new ConcurrentHashMap<>();

    /**
     * The set of this kind made once per JVM, on first use, in a temporary folder that is
     * deleted when the JVM exits: for the tests that only read it.
     */
    static <T> T shared(Class<T> kind, SetMaker<T> maker) {
        return kind.cast(SHARED.computeIfAbsent(kind, k -> {
            try {
                Path dir = Files.createTempDirectory("mailproxy-pki");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir), "delete-" + dir.getFileName()));
                return maker.make(new TestPki(dir));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot make the test certificates", e);
            }
        }));
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder left behind is no failure
        }
    }

    public Path dir() { return dir; }

    /** A new private key {@code name}.key of this kind. */
    public Path key(String name, Key kind) throws IOException {
        Path key = dir.resolve(name + ".key");
        switch (kind) {
            case RSA -> openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key);
            case RSA_PKCS1 -> openssl("genrsa", "-traditional", "-out", key, "2048");
            case EC -> openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key);
            case EC_SEC1 -> openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key);
            case ED25519 -> openssl("genpkey", "-algorithm", "ed25519", "-out", key);
        }
        return key;
    }

    /** A self-signed certificate {@code name}.pem on a new key; {@code addext} are openssl -addext values. */
    public Pair selfSigned(String name, Key kind, String subject, String... addext) throws IOException {
        Path key = key(name, kind);
        Path cert = dir.resolve(name + ".pem");
        List<Object> args = new ArrayList<>(List.of("req", "-x509", "-key", key, "-out", cert, "-days", "2",
                "-subj", subject));
        for (String e : addext) {
            args.add("-addext");
            args.add(e);
        }
        openssl(args.toArray());
        return new Pair(cert, key);
    }

    /** A self-signed CA (RSA) that may sign certificates. */
    public Pair ca(String name, String subject) throws IOException {
        return selfSigned(name, Key.RSA, subject, "basicConstraints=critical,CA:TRUE",
                "keyUsage=critical,keyCertSign,cRLSign");
    }

    /**
     * A certificate {@code name}.pem on a new key, signed by {@code issuer} with this serial;
     * {@code extensions} are lines of an openssl extension file ("" for none).
     */
    public Pair signed(String name, Key kind, Pair issuer, String subject, String serial, String extensions)
            throws IOException {
        Path key = key(name, kind);
        Path cert = dir.resolve(name + ".pem");
        Path csr = dir.resolve(name + ".csr");
        openssl("req", "-new", "-key", key, "-out", csr, "-subj", subject);
        List<Object> args = new ArrayList<>(List.of("x509", "-req", "-in", csr, "-CA", issuer.cert(),
                "-CAkey", issuer.key(), "-set_serial", serial, "-days", "2", "-out", cert));
        if (!extensions.isEmpty()) {
            args.add("-extfile");
            args.add(write(name + ".ext", extensions));
        }
        openssl(args.toArray());
        return new Pair(cert, key);
    }

    /** The pair as PKCS#12 {@code name}.p12, password {@link #PASSWORD}. */
    public Path pkcs12(String name, Pair pair) throws IOException {
        Path p12 = dir.resolve(name + ".p12");
        openssl("pkcs12", "-export", "-in", pair.cert(), "-inkey", pair.key(), "-out", p12,
                "-passout", "pass:" + PASSWORD, "-name", name);
        return p12;
    }

    /** A PKCS#12 file as keytool makes it: EC, one certificate for {@code host}, password {@link #PASSWORD}. */
    public Path keytoolPkcs12(String name, String host) throws IOException {
        Path p12 = dir.resolve(name + ".p12");
        run(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=" + host, "-ext", "SAN=dns:" + host, "-validity", "2",
                "-storetype", "PKCS12", "-keystore", p12.toString(),
                "-storepass", PASSWORD, "-keypass", PASSWORD, "-noprompt"));
        return p12;
    }

    /** The files one after the other in {@code name}: a chain, or a certificate with its key. */
    public Path concat(String name, Path... parts) throws IOException {
        StringBuilder b = new StringBuilder();
        for (Path p : parts) b.append(Files.readString(p));
        return write(name, b.toString());
    }

    /** Writes a file into the folder. */
    public Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.ISO_8859_1);
    }

    /** Runs openssl with these arguments (Paths become strings) in the folder; its output. */
    public String openssl(Object... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        for (Object a : args) cmd.add(a.toString());
        return run(cmd);
    }

    private String run(List<String> cmd) throws IOException {
        Path out = Files.createTempFile(dir, "cmd", ".out");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", cmd));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", cmd), e);
        }
        String text = Files.readString(out, StandardCharsets.ISO_8859_1);
        if (p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ":\n" + text);
        return text;
    }

    /** True when openssl is on PATH (tests that need it are skipped without). */
    public static boolean opensslAvailable() {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String d : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, "openssl"))) return true;
        }
        return false;
    }

    /** A client context that trusts {@code trusted} (a PEM certificate) and shows the certificate in {@code p12} (null: none). */
    public static SSLContext clientContext(Path trusted, Path p12) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", read(trusted));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = null;
            if (p12 != null) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(p12)) {
                    keys.load(in, PASSWORD.toCharArray());
                }
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, PASSWORD.toCharArray());
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot build a client SSLContext", e);
        }
    }

    public static X509Certificate read(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot read " + pem, e);
        }
    }
}
