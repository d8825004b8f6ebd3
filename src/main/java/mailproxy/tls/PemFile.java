package mailproxy.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM files (RFC 7468): the blocks in a file, and the certificates among them. One file may
 * hold certificates and a key together (as nginx allows); blocks of other kinds are skipped
 * by whoever does not want them.
 */
final class PemFile {
    /** Certificate and key files are a few KB; a bound keeps a wrong path from eating memory. */
    static final long MAX_FILE_BYTES = 1 << 20;

    private static final Pattern BEGIN = Pattern.compile("^-----BEGIN ([A-Z0-9 #-]+)-----\\s*$");

    private PemFile() {
    }

    /** One {@code -----BEGIN type-----} block; {@code headers} are RFC 1421 style lines. */
    record Block(String type, Map<String, String> headers, byte[] der, int line) {
        boolean encrypted() {
            return type.startsWith("ENCRYPTED ")
                    || headers.getOrDefault("Proc-Type", "").contains("ENCRYPTED");
        }
    }

    static byte[] readFile(Path file, String what) throws TlsConfigException {
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw TlsConfigException.of(file, what + " file is " + size
                        + " bytes, more than the " + MAX_FILE_BYTES + " allowed");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw TlsConfigException.of(file, "cannot read " + what + " file: no such file", e);
        } catch (IOException e) {
            throw TlsConfigException.of(file, "cannot read " + what + " file: " + e, e);
        }
    }

    static List<Block> blocks(Path file, String what) throws TlsConfigException {
        String text = new String(readFile(file, what), StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\r?\n|\r", -1);
        List<Block> out = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            Matcher m = BEGIN.matcher(lines[i]);
            if (!m.matches()) {
                continue;
            }
            String type = m.group(1);
            int beginLine = i + 1;
            String end = "-----END " + type + "-----";
            Map<String, String> headers = new LinkedHashMap<>();
            StringBuilder b64 = new StringBuilder();
            boolean ended = false;
            for (i++; i < lines.length; i++) {
                String line = lines[i].strip();
                if (line.equals(end)) {
                    ended = true;
                    break;
                }
                int colon = line.indexOf(':');
                if (colon > 0 && b64.isEmpty()) {
                    // RFC 1421 §4.6 headers, e.g. "Proc-Type: 4,ENCRYPTED" of legacy keys.
                    headers.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
                } else {
                    b64.append(line);
                }
            }
            if (!ended) {
                throw TlsConfigException.of(file, "BEGIN " + type + " at line " + beginLine
                        + " has no END line");
            }
            byte[] der;
            try {
                der = Base64.getDecoder().decode(b64.toString());
            } catch (IllegalArgumentException e) {
                throw TlsConfigException.of(file, "BEGIN " + type + " at line " + beginLine
                        + " is not valid base64", e);
            }
            out.add(new Block(type, Map.copyOf(headers), der, beginLine));
        }
        return out;
    }

    /** Every {@code CERTIFICATE} block, in file order (for a chain: leaf first). */
    static List<X509Certificate> certificates(Path file, String what) throws TlsConfigException {
        List<X509Certificate> certs = new ArrayList<>();
        for (Block b : blocks(file, what)) {
            if (b.type().equals("CERTIFICATE") || b.type().equals("X509 CERTIFICATE")) {
                certs.add(parseCertificate(file, b));
            }
        }
        if (certs.isEmpty()) {
            throw TlsConfigException.of(file, "no certificate in " + what
                    + " file (expected -----BEGIN CERTIFICATE-----)");
        }
        return List.copyOf(certs);
    }

    private static X509Certificate parseCertificate(Path file, Block b) throws TlsConfigException {
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            return (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der()));
        } catch (CertificateException e) {
            throw TlsConfigException.of(file, "certificate at line " + b.line()
                    + " cannot be parsed: " + e.getMessage(), e);
        }
    }
}
