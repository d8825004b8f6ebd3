package mailproxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The LMTP side of {@link FakeBackends} (RFC 2033): it records what the proxy sent byte for
 * byte, the command lines and each message as it came (still dot-stuffed, without the
 * final ".\r\n"); RCPT answers 250 unless overridden for the address, and after the
 * message one reply per accepted recipient names the recipient and the backend, unless
 * {@link FakeBackend#failure} says to break off.
 */
final class FakeLmtp {
    private FakeLmtp() {}

    static void converse(FakeBackend b, RawClient peer) throws Exception {
        String name = b.name();
        peer.line("220 " + name + " LMTP ready");
        List<String> accepted = new ArrayList<>();
        for (byte[] raw = peer.readRawLine(); raw != null; raw = peer.readRawLine()) {
            String line = new String(raw, StandardCharsets.ISO_8859_1).replaceAll("\r\n$", "");
            b.received(line);
            switch (line.split(" ")[0].toUpperCase(Locale.ROOT)) {
                case "LHLO" -> peer.send("250-" + name + "\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n");
                case "MAIL" -> {
                    accepted.clear();
                    peer.line(or(b.override("MAIL"), "250 2.1.0 Ok"));
                }
                case "RCPT" -> {
                    String address = line.substring(line.indexOf('<') + 1, line.indexOf('>'));
                    String reply = or(b.override("RCPT " + address), "250 2.1.5 Ok");
                    if (reply.startsWith("2")) accepted.add(address);
                    peer.line(reply);
                }
                case "DATA" -> {
                    if (!data(b, peer, accepted)) return;
                }
                case "RSET" -> peer.line("250 2.0.0 Ok");
                case "QUIT" -> {
                    peer.line("221 2.0.0 Bye");
                    return;
                }
                default -> peer.line("500 5.5.2 what?");
            }
        }
    }

    /** DATA, the message and the replies per recipient; false when the backend hangs up. */
    private static boolean data(FakeBackend b, RawClient peer, List<String> accepted) throws IOException {
        FakeBackends.LmtpFailure failure = b.failure();
        if (failure == FakeBackends.LmtpFailure.REFUSE_DATA) {
            peer.line("451 4.3.0 " + b.name() + " cannot take data now");
            return true;
        }
        peer.line("354 go ahead");
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        for (byte[] l = peer.readRawLine(); !".\r\n".equals(l == null ? null : new String(l, StandardCharsets.ISO_8859_1)); l = peer.readRawLine()) {
            if (l == null) return false; // the message aborted: the final "." never came
            message.write(l);
        }
        b.rawMessage(message.toByteArray());
        if (failure == FakeBackends.LmtpFailure.CLOSE_AFTER_MESSAGE) return false;
        for (int i = 0; i < accepted.size(); i++) {
            if (failure == FakeBackends.LmtpFailure.CLOSE_AFTER_FIRST_REPLY && i == 1) return false;
            peer.line("250 2.0.0 <" + accepted.get(i) + "> saved by " + b.name());
        }
        return true;
    }

    private static String or(String override, String usual) {
        return override != null ? override : usual;
    }
}
