package mailproxy.tlsproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;

/**
 * Fake IMAP, POP3 and SMTP backends that record the login the proxy sends ("user pass"),
 * accept it, and then answer a few commands, so a test can see what came through the
 * relay: IMAP {@code t BIG n} answers with an n-byte literal, {@code t LATE} answers only
 * after the proxy has half-closed towards the backend; LOGOUT/QUIT end the session.
 * Optionally TLS from the first byte, with a client certificate required.
 */
final class FakeBackends {
    /** A multiple of the pattern's period (78), so chunks join seamlessly. */
    private static final int CHUNK = 78 * 840;
    private static final Pattern LITERAL = Pattern.compile("\\{(\\d+)(\\+?)}$");

    /** What the backends saw: logins as "user pass", and client certificate subjects. */
    static final class Recorder {
        final BlockingQueue<String> logins = new LinkedBlockingQueue<>();
        final BlockingQueue<String> clientSubjects = new LinkedBlockingQueue<>();

        String nextLogin() throws InterruptedException {
            String l = logins.poll(5, TimeUnit.SECONDS);
            if (l == null) throw new AssertionError("the backend saw no login within 5 s");
            return l;
        }
    }

    private FakeBackends() {}

    static ScriptedServer imap(Recorder r) throws IOException {
        return imap(r, null);
    }

    /** With {@code tls} non-null the backend is implicit TLS and requires a client certificate. */
    static ScriptedServer imap(Recorder r, SSLContext tls) throws IOException {
        return new ScriptedServer(peer -> {
            RawClient c = wrap(peer, tls, r);
            c.send("* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR] fake imap ready\r\n");
            String line = c.readLine();
            if (line == null) return;
            // the proxy's LOGIN, literals and all: mp1 LOGIN {3+}\r\nbob {6+}\r\nsecret\r\n
            String tag = line.substring(0, line.indexOf(' '));
            StringBuilder args = new StringBuilder();
            String rest = line.substring(line.indexOf(' ') + 1);
            assertEquals(true, rest.toUpperCase().startsWith("LOGIN "), "expected LOGIN, got " + line);
            rest = rest.substring(6);
            while (true) {
                Matcher m = LITERAL.matcher(rest);
                if (!m.find()) break;
                if (m.group(2).isEmpty()) c.send("+ go on\r\n");
                args.append(new String(c.readBytes(Integer.parseInt(m.group(1))), StandardCharsets.ISO_8859_1));
                rest = c.readLine();
                if (rest.startsWith(" ")) {
                    args.append(' ');
                    rest = rest.substring(1);
                }
            }
            r.logins.add(args.toString());
            c.send(tag + " OK [CAPABILITY IMAP4rev1 IDLE] fake logged in\r\n");
            while ((line = c.readLine()) != null) {
                String[] w = line.split(" ");
                String cmd = w.length > 1 ? w[1].toUpperCase() : "";
                switch (cmd) {
                    case "LOGOUT" -> {
                        c.send("* BYE fake logging out\r\n" + w[0] + " OK LOGOUT completed\r\n");
                        return;
                    }
                    case "BIG" -> {
                        int n = Integer.parseInt(w[2]);
                        c.send("* 1 FETCH (BODY[] {" + n + "}\r\n");
                        try {
                            byte[] chunk = pattern(CHUNK);
                            for (int left = n; left > 0; left -= CHUNK) {
                                c.send(left >= CHUNK ? chunk : Arrays.copyOf(chunk, left));
                            }
                        } catch (SocketException e) {
                            return; // a test that closes before reading it all
                        }
                        c.send(")\r\n" + w[0] + " OK FETCH completed\r\n");
                    }
                    case "LATE" -> {
                        // answers once the proxy passed on the client's half-close
                        if (c.readLine() != null) throw new AssertionError("expected end of stream after LATE");
                        c.send(w[0] + " OK late answer after your FIN\r\n");
                        return;
                    }
                    default -> c.send(w[0] + " OK " + cmd + " completed\r\n");
                }
            }
        });
    }

    static ScriptedServer pop3(Recorder r) throws IOException {
        return new ScriptedServer(peer -> {
            RawClient c = wrap(peer, null, r);
            c.send("+OK fake pop3 ready\r\n");
            String user = c.readLine();
            if (user == null) return;
            assertEquals(true, user.startsWith("USER "), user);
            c.send("+OK\r\n");
            String pass = c.readLine();
            assertEquals(true, pass.startsWith("PASS "), pass);
            r.logins.add(user.substring(5) + " " + pass.substring(5));
            c.send("+OK fake logged in\r\n");
            String line;
            while ((line = c.readLine()) != null) {
                if (line.equalsIgnoreCase("QUIT")) {
                    c.send("+OK fake signing off\r\n");
                    return;
                }
                c.send("+OK " + line + " done\r\n");
            }
        });
    }

    /** Wants AUTH PLAIN (backend smtp.auth = plain); records user and password from it. */
    static ScriptedServer smtp(Recorder r) throws IOException {
        return smtp(r, null);
    }

    /**
     * With {@code starttls} non-null: offers STARTTLS, wants it before AUTH (530 otherwise,
     * as Postfix with smtpd_tls_auth_only), and requires a client certificate in it; records
     * in {@link Recorder#logins} "EHLO-after-TLS" when the proxy greets again in TLS.
     */
    static ScriptedServer smtp(Recorder r, SSLContext starttls) throws IOException {
        return new ScriptedServer(peer -> {
            RawClient c = peer;
            boolean secure = false;
            c.send("220 fake ESMTP\r\n");
            String line;
            while ((line = c.readLine()) != null) {
                String upper = line.toUpperCase();
                if (upper.startsWith("EHLO")) {
                    if (secure) r.logins.add("EHLO-after-TLS");
                    c.send("250-fake\r\n" + (starttls != null && !secure ? "250-STARTTLS\r\n" : "")
                            + "250-AUTH PLAIN\r\n250 PIPELINING\r\n");
                } else if (upper.equals("STARTTLS") && starttls != null && !secure) {
                    c.send("220 2.0.0 go ahead\r\n");
                    c = wrap(c, starttls, r);
                    secure = true;
                } else if (starttls != null && !secure && upper.startsWith("AUTH")) {
                    c.send("530 5.7.0 Must issue a STARTTLS command first\r\n");
                } else if (upper.startsWith("AUTH PLAIN ")) {
                    String[] parts = new String(Base64.getDecoder().decode(line.substring(11)),
                            StandardCharsets.ISO_8859_1).split("\0", -1);
                    r.logins.add(parts[1] + " " + parts[2]);
                    c.send("235 2.7.0 fake accepted\r\n");
                } else if (upper.equals("QUIT")) {
                    c.send("221 2.0.0 fake bye\r\n");
                    return;
                } else {
                    c.send("250 2.0.0 fake ok: " + line + "\r\n");
                }
            }
        });
    }

    /** Bytes 'a'..'z' repeating, with CRLF every 76: a message body anyone can check. */
    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i % 78 == 76 ? '\r' : i % 78 == 77 ? '\n' : 'a' + i % 26);
        return b;
    }

    private static RawClient wrap(RawClient peer, SSLContext tls, Recorder r) throws IOException {
        if (tls == null) return peer;
        // the JDK fixes its renegotiation policy at the first server handshake in this JVM:
        // let it be the proxy's, which tests in the same JVM check
        mailproxy.tls.TlsServer.refuseClientRenegotiation();
        SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(peer.socket(), null, peer.socket().getPort(), true);
        s.setUseClientMode(false);
        s.setNeedClientAuth(true);
        s.startHandshake();
        r.clientSubjects.add(((X509Certificate) s.getSession().getPeerCertificates()[0])
                .getSubjectX500Principal().getName());
        return new RawClient(s);
    }
}
