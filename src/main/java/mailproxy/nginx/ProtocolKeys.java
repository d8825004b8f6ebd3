package mailproxy.nginx;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import mailproxy.config.Protocol;

/**
 * The directives of ngx_mail_imap_module, ngx_mail_pop3_module and ngx_mail_smtp_module as a
 * listener's keys: auth methods, capabilities, the command buffer, the greeting delay.
 */
final class ProtocolKeys {
    private ProtocolKeys() {}

    /** Directive name prefix → the protocol it belongs to. */
    static Protocol owner(String directive) {
        if (directive.startsWith("imap_")) return Protocol.IMAP;
        if (directive.startsWith("pop3_")) return Protocol.POP3;
        if (directive.startsWith("smtp_") || directive.equals("xclient") || directive.equals("proxy_smtp_auth")) {
            return Protocol.SMTP;
        }
        return null;
    }

    static void apply(Scope s, Protocol p, Notes notes, Map<String, String> keys) {
        auth(s.get(p.id() + "_auth"), p, notes, keys);
        Directive caps = s.get(p.id() + "_capabilities");
        if (caps != null) {
            switch (p) {
                case IMAP -> keys.put("imap-capabilities", Values.quotedList(without(caps.args(), "STARTTLS", "LOGINDISABLED", "AUTH=")));
                case POP3 -> keys.put("pop3-capabilities", Values.quotedList(without(caps.args(), "USER", "STLS", "SASL")));
                case SMTP -> smtpCapabilities(caps, notes, keys);
                default -> { } // nginx has no other mail module
            }
        }
        if (p != Protocol.POP3) {
            Directive buffer = s.get(p.id() + "_client_buffer");
            long n = buffer == null ? 0 : Values.bytes(buffer.arg(0));
            if (n < 0) notes.untranslated(buffer, "not an nginx size");
            else if (n > 0) keys.put("line-length", Values.size(n));
        }
        if (p == Protocol.SMTP) {
            Directive delay = s.get("smtp_greeting_delay");
            long ms = delay == null ? -2 : Values.millis(delay.arg(0));
            if (ms == -1) notes.untranslated(delay, "not an nginx time");
            else if (ms >= 0) keys.put("smtp-greeting-delay", Values.duration(ms));
        }
    }

    /**
     * imap_auth / pop3_auth / smtp_auth. nginx always accepts the plaintext methods, even
     * unannounced; mailproxy accepts what auth lists (IMAP LOGIN and POP3 USER/PASS always).
     * POP3's "plain" announces both SASL PLAIN and LOGIN; "apop" is the APOP command.
     * SMTP "none" lets mail through without AUTH: alone it is mailproxy's mx mode.
     */
    private static void auth(Directive d, Protocol p, Notes notes, Map<String, String> keys) {
        if (d == null) return;
        List<String> mechanisms = new ArrayList<>();
        boolean apop = false;
        boolean none = false;
        for (String m : d.args()) {
            String method = m.toLowerCase(Locale.ROOT);
            switch (method) {
                case "plain" -> {
                    add(mechanisms, "plain");
                    if (p == Protocol.POP3) add(mechanisms, "login");
                }
                case "login", "cram-md5", "external" -> add(mechanisms, method);
                case "apop" -> apop = true;
                case "none" -> none = true;
                default -> notes.untranslated(d, "unknown method '" + m + "'");
            }
        }
        if (p == Protocol.POP3 && apop) keys.put("pop3-apop", "true");
        if (p == Protocol.SMTP && none && mechanisms.isEmpty()) {
            keys.put("smtp-mode", "mx");
            return;
        }
        if (!mechanisms.contains("plain") && !mechanisms.contains("login")) {
            notes.untranslated(d, "nginx also accepts AUTH PLAIN and LOGIN without announcing them; mailproxy"
                    + " accepts only the mechanisms it announces (add plain, login to auth to keep them)");
        }
        if (p == Protocol.SMTP && none) mechanisms.add("none");
        keys.put("auth", Values.wordList(mechanisms));
    }

    /**
     * smtp_capabilities: SIZE becomes smtp-size (mailproxy announces and enforces it, RFC
     * 1870); STARTTLS, AUTH, PIPELINING, 8BITMIME and ENHANCEDSTATUSCODES are announced by
     * mailproxy itself (smtp-capabilities refuses them); CHUNKING cannot be carried.
     */
    private static final java.util.Set<String> ANNOUNCED_BY_MAILPROXY =
            java.util.Set.of("STARTTLS", "AUTH", "PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES");

    private static void smtpCapabilities(Directive caps, Notes notes, Map<String, String> keys) {
        List<String> rest = new ArrayList<>();
        String size = "-1"; // nginx announces no SIZE unless it is listed
        for (String c : caps.args()) {
            String upper = c.toUpperCase(Locale.ROOT);
            if (upper.equals("SIZE") || upper.startsWith("SIZE ")) {
                long n = upper.equals("SIZE") ? 0 : Values.bytes(c.substring(5).trim());
                if (n < 0) notes.untranslated(caps, "'" + c + "': expected SIZE <bytes>");
                else size = Values.size(n);
            } else if (upper.equals("CHUNKING") || upper.equals("BINARYMIME")) {
                notes.untranslated(caps, c + " left out: BDAT cannot be relayed through the login dialogue,"
                        + " mailproxy never announces it");
            } else if (!ANNOUNCED_BY_MAILPROXY.contains(upper) && !upper.startsWith("AUTH ") && !upper.startsWith("AUTH=")) {
                rest.add(c);
            }
        }
        keys.put("smtp-size", size);
        if (!rest.isEmpty()) keys.put("smtp-capabilities", Values.quotedList(rest));
    }

    private static List<String> without(List<String> caps, String... dropped) {
        List<String> out = new ArrayList<>();
        for (String c : caps) {
            String upper = c.toUpperCase(Locale.ROOT);
            boolean drop = false;
            for (String d : dropped) drop |= upper.equals(d) || (d.endsWith("=") && upper.startsWith(d)) || upper.startsWith(d + " ");
            if (!drop) out.add(c);
        }
        return out;
    }

    private static void add(List<String> list, String m) {
        if (!list.contains(m)) list.add(m);
    }
}
