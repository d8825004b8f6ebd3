package mailproxy.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.function.Predicate;

/** Small socket checks the fixtures use to see that a server is up and is really theirs. */
final class ServerProbe {
    private static final int TIMEOUT_MS = 5000;

    private ServerProbe() {}

    /**
     * Connects until the first line from {@code port} satisfies {@code ours} or the deadline
     * (System.nanoTime) passes. A greeting that is not ours means another process took the
     * port between FreePorts and the server's bind: the caller retries with new ports.
     */
    static void awaitGreeting(String host, int port, Predicate<String> ours, long deadline)
            throws IOException {
        IOException last = new IOException("no attempt");
        while (System.nanoTime() - deadline < 0) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 1000);
                s.setSoTimeout(TIMEOUT_MS);
                String greeting = readLine(s.getInputStream());
                if (!ours.test(greeting)) {
                    throw new IOException("port " + port + " is not ours: " + greeting);
                }
                return;
            } catch (IOException e) {
                last = e;
                sleep(50);
            }
        }
        throw new IOException("no greeting on port " + port + ": " + last.getMessage(), last);
    }

    /** Whether an IMAP AUTHENTICATE PLAIN (RFC 4959 initial response) succeeds. */
    static boolean imapAuthenticates(String host, int port, String user, String password)
            throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), TIMEOUT_MS);
            s.setSoTimeout(TIMEOUT_MS);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            readLine(in);
            String plain = Base64.getEncoder().encodeToString(
                    ("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
            out.write(("p1 AUTHENTICATE PLAIN " + plain + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            for (int i = 0; i < 20; i++) {
                String line = readLine(in);
                if (line.startsWith("p1 ")) {
                    out.write("p2 LOGOUT\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    return line.startsWith("p1 OK");
                }
            }
            throw new IOException("no tagged reply to AUTHENTICATE");
        }
    }

    /** One line without its line end, at most 4 KB; "" at end of stream. */
    static String readLine(InputStream in) throws IOException {
        byte[] buf = new byte[4096];
        int n = 0;
        int b;
        while (n < buf.length && (b = in.read()) >= 0 && b != '\n') {
            buf[n++] = (byte) b;
        }
        return new String(buf, 0, n, StandardCharsets.UTF_8).trim();
    }

    static void sleep(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Await.pause(java.time.Duration.ofMillis(millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
