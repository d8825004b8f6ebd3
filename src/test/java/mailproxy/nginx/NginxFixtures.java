package mailproxy.nginx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import mailproxy.tlsproxy.TestCertificates;

/**
 * The nginx configs under src/test/resources/nginx copied into a folder with real test
 * certificates: {@code @CERTS@} in them becomes the certificates' folder, and the relative
 * names of the ssl_certificate example are copies of test certificates beside them, so the
 * translated config passes the same certificate checks as --check.
 */
final class NginxFixtures {
    static final List<String> FILES = List.of("core-example.conf", "ssl-example.conf", "ssl-two-certificates.conf",
            "ssl-password-file.conf", "realip-example.conf", "directive-examples.conf", "translatable.conf",
            "all-variants.conf", "conf.d/auth.inc", "conf.d/smtp-submission.conf", "conf.d/smtp-mx.conf");

    final Path conf;
    final TestCertificates certs;

    private NginxFixtures(Path conf, TestCertificates certs) {
        this.conf = conf;
        this.certs = certs;
    }

    static NginxFixtures create(Path dir) throws IOException {
        TestCertificates certs = TestCertificates.create(Files.createDirectories(dir.resolve("certs")));
        Path conf = Files.createDirectories(dir.resolve("nginx"));
        for (String f : FILES) {
            Path target = conf.resolve(f);
            Files.createDirectories(target.getParent());
            Files.writeString(target, resource(f).replace("@CERTS@", certs.dir.toString()));
        }
        Files.copy(certs.otherCert, conf.resolve("example.com.rsa.crt"));
        Files.copy(certs.otherKey, conf.resolve("example.com.rsa.key"));
        Files.copy(certs.ecCert, conf.resolve("example.com.ecdsa.crt"));
        Files.copy(certs.ecKey, conf.resolve("example.com.ecdsa.key"));
        return new NginxFixtures(conf, certs);
    }

    static String resource(String name) throws IOException {
        try (InputStream in = NginxFixtures.class.getResourceAsStream("/nginx/" + name)) {
            if (in == null) throw new IOException("no test resource nginx/" + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** An expected output with its placeholders filled in. */
    String expected(String name) throws IOException {
        return resource("expected/" + name).replace("@CERTS@", certs.dir.toString()).replace("@CONF@", conf.toString());
    }

    record Run(int exit, String out, String err) {}

    static Run run(Path file) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = NginxImport.run(file, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
