package mailproxy.tls;

import java.nio.file.Path;

/**
 * A TLS setting that cannot work: unreadable or malformed file, no certificate, no key,
 * an encrypted or unsupported key, a key that does not belong to its certificate, an
 * unknown protocol or cipher. Meant to stop startup; the message names the file and says
 * what is wrong, so it can be shown to the operator as it is.
 */
public final class TlsConfigException extends Exception {
    TlsConfigException(String message) {
        super(message);
    }

    TlsConfigException(String message, Throwable cause) {
        super(message, cause);
    }

    static TlsConfigException of(Path file, String problem) {
        return new TlsConfigException(file + ": " + problem);
    }

    static TlsConfigException of(Path file, String problem, Throwable cause) {
        return new TlsConfigException(file + ": " + problem, cause);
    }
}
