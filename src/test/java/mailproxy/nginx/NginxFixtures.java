package mailproxy.nginx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import mailproxy.testing.SiteCertificates;

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
    /** The shared test certificates under the names the nginx configs use (@CERTS@/server.pem, ...). */
    final Path certs;

    private NginxFixtures(Path conf, Path certs) {
        this.conf = conf;
        this.certs = certs;
    }

    static NginxFixtures create(Path dir) throws IOException {
        SiteCertificates site = SiteCertificates.shared();
        Path certDir = Files.createDirectories(dir.resolve("certs"));
        Files.copy(site.server.cert(), certDir.resolve("server.pem"));
        Files.copy(site.server.key(), certDir.resolve("server.key"));
        Files.copy(site.other.cert(), certDir.resolve("other.pem"));
        Files.copy(site.other.key(), certDir.resolve("other.key"));
        Files.copy(site.caCert, certDir.resolve("ca.pem"));
        Path conf = Files.createDirectories(dir.resolve("nginx"));
        for (String f : FILES) {
            Path target = conf.resolve(f);
            Files.createDirectories(target.getParent());
            Files.writeString(target, resource(f).replace("@CERTS@", certDir.toString()));
        }
        SiteCertificates certs = site;
        Files.copy(certs.other.cert(), conf.resolve("example.com.rsa.crt"));
        Files.copy(certs.other.key(), conf.resolve("example.com.rsa.key"));
        Files.copy(certs.ec.cert(), conf.resolve("example.com.ecdsa.crt"));
        Files.copy(certs.ec.key(), conf.resolve("example.com.ecdsa.key"));
        // directive-examples.conf's ssl_session_ticket_key files: 80 and 48 bytes, as nginx takes
        Files.write(conf.resolve("current.key"), new byte[80]);
        Files.write(conf.resolve("previous.key"), new byte[48]);
        return new NginxFixtures(conf, certDir);
    }

    static String resource(String name) throws IOException {
        try (InputStream in = NginxFixtures.class.getResourceAsStream("/nginx/" + name)) {
            if (in == null) throw new IOException("no test resource nginx/" + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** An expected output with its placeholders filled in. */
    String expected(String name) throws IOException {
        return resource("expected/" + name).replace("@CERTS@", certs.toString()).replace("@CONF@", conf.toString());
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
