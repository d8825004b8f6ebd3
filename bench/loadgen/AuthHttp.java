package loadgen;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The auth_http server nginx's mail module needs: every login is OK and goes to the bench's
 * backend for its protocol (Auth-Protocol header). Auth-User/Auth-Pass are not returned,
 * so nginx logs in with the client's own. One virtual thread per request; HTTP/1.0, close.
 * <pre>
 *   loadgen auth --port-file F --imap P --pop3 P --smtp P [--server 127.0.0.1]
 * </pre>
 * Listens on a free loopback port and writes it to the port file once ready.
 */
final class AuthHttp {
    private AuthHttp() {}

    static void main(String[] args) throws IOException {
        String server = "127.0.0.1";
        String imap = null, pop3 = null, smtp = null;
        Path portFile = null;
        for (int i = 1; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--imap" -> imap = args[i + 1];
                case "--pop3" -> pop3 = args[i + 1];
                case "--smtp" -> smtp = args[i + 1];
                case "--server" -> server = args[i + 1];
                case "--port-file" -> portFile = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        ServerSocket ss = new ServerSocket(0, 4096, InetAddress.getByName("127.0.0.1"));
        if (portFile != null) Files.writeString(portFile, ss.getLocalPort() + "\n");
        System.out.println("auth_http on 127.0.0.1:" + ss.getLocalPort());
        String[] ports = {imap, pop3, smtp};
        String srv = server;
        while (true) {
            Socket s = ss.accept();
            Thread.ofVirtual().start(() -> answer(s, srv, ports));
        }
    }

    private static void answer(Socket s, String server, String[] ports) {
        try (s) {
            s.setSoTimeout(10_000);
            String head = readHead(s.getInputStream());
            String protocol = header(head, "Auth-Protocol");
            String port = switch (protocol == null ? "" : protocol.toLowerCase(Locale.ROOT)) {
                case "imap" -> ports[0];
                case "pop3" -> ports[1];
                case "smtp" -> ports[2];
                default -> null;
            };
            String reply = port == null
                    ? "HTTP/1.0 200 OK\r\nAuth-Status: Unknown protocol\r\n\r\n"
                    : "HTTP/1.0 200 OK\r\nAuth-Status: OK\r\nAuth-Server: " + server + "\r\nAuth-Port: " + port + "\r\n\r\n";
            OutputStream out = s.getOutputStream();
            out.write(reply.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException e) {
            // nginx went away; nothing to answer
        }
    }

    /** Request line and headers up to the blank line, at most 16 KB. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(512);
        int state = 0; // counts the bytes of CRLFCRLF seen
        for (int i = 0; i < 16 * 1024; i++) {
            int c = in.read();
            if (c < 0) break;
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
            if (state == 4) break;
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    private static String header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) return line.substring(colon + 1).trim();
        }
        return null;
    }
}
