package mailproxy.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A session ticket key from a file in nginx's {@code ssl_session_ticket_key} format: 48 bytes
 * (16 name, 16 AES-128 key, 16 HMAC-SHA256 key) or 80 bytes (16 name, 32 HMAC key, 32
 * AES-256 key), e.g. {@code openssl rand 80 > ticket.key}. The name, sent in every ticket,
 * tells which key made it.
 *
 * <p>BoringSSL through netty takes 16-byte keys only (AES-128-CBC, HMAC-SHA256), so of an
 * 80-byte file's keys the first 16 bytes of each are used: every instance that reads the
 * same file derives the same key, which is what sharing needs; tickets are protected by
 * AES-128 rather than AES-256 (reference.conf, tls-ticket-keys).
 */
record TicketKeyFile(Path file, byte[] name, byte[] aesKey, byte[] hmacKey) {
    static final int KEY = 16;

    /** Every file in order; an unreadable file or a wrong size is a config error naming it. */
    static List<TicketKeyFile> read(List<Path> files) throws TlsConfigException {
        List<TicketKeyFile> keys = new ArrayList<>();
        for (Path f : files) keys.add(read(f));
        return keys;
    }

    static TicketKeyFile read(Path file) throws TlsConfigException {
        byte[] b;
        try {
            if (Files.size(file) > 80) throw new TlsConfigException(message(file, "must be 48 or 80 bytes, not "
                    + Files.size(file)));
            b = Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new TlsConfigException(message(file, "does not exist"), e);
        } catch (IOException e) {
            throw new TlsConfigException(message(file, "cannot be read (" + Sockets.oneLine(e) + ")"), e);
        }
        try {
            return switch (b.length) {
                case 48 -> new TicketKeyFile(file, slice(b, 0), slice(b, 16), slice(b, 32));
                case 80 -> new TicketKeyFile(file, slice(b, 0), slice(b, 48), slice(b, 16));
                default -> throw new TlsConfigException(message(file, "must be 48 or 80 bytes, not " + b.length));
            };
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    private static byte[] slice(byte[] b, int from) {
        return Arrays.copyOfRange(b, from, from + KEY);
    }

    private static String message(Path file, String what) {
        return "tls-ticket-keys: " + file + " " + what + " (nginx's ssl_session_ticket_key format:"
                + " openssl rand 80 > FILE)";
    }

    /** Never the key bytes. */
    @Override
    public String toString() {
        return "TicketKeyFile[" + file + "]";
    }
}
