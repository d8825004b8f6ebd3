package mailproxy.nginx;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** ngx_mail_ssl_module's directives as a listener's tls-* keys. */
final class TlsKeys {
    private TlsKeys() {}

    /** Session resumption, translated by {@link #sessions}. */
    static final List<String> SESSION = List.of(
            "ssl_session_cache", "ssl_session_timeout", "ssl_session_tickets", "ssl_session_ticket_key");

    /** nginx's ssl_session_cache builtin without a size: 20480 sessions (ngx_mail_ssl_module). */
    private static final int BUILTIN_SESSIONS = 20_480;
    /** nginx: "one megabyte of the cache contains about 4000 sessions". */
    private static final int SHARED_BYTES_PER_SESSION = 256;

    /** Directives with no job in mailproxy: the JDK does these itself. */
    static final Map<String, String> IGNORED = Map.of(
            "ssl_prefer_server_ciphers", "the JDK's cipher suite order is used",
            "ssl_dhparam", "the JDK uses the RFC 7919 finite-field groups for DHE",
            "ssl_certificate_compression", "the JDK sends certificates uncompressed (RFC 8879 is optional)");

    /** Directives whose effect mailproxy does not have. */
    static final Map<String, String> UNTRANSLATED = Map.of(
            "ssl_ciphers", "an OpenSSL cipher string has no 1:1 JDK mapping; the JDK's default suites are used"
                    + " (tls-ciphers takes JDK / IANA suite names)",
            "ssl_verify_depth", "mailproxy verifies the whole client chain up to tls-client-ca, with no depth limit",
            "ssl_crl", "mailproxy does not check certificate revocation lists",
            "ssl_password_file", "mailproxy reads unencrypted PEM keys, or PKCS#12 with a password"
                    + " (tls-certificates = [{ pkcs12 = FILE, password = ... }])",
            "ssl_conf_command", "there are no OpenSSL commands in the JDK");

    /** Keys for one listener; {@code implicit}: TLS from the first byte (listen ... ssl). */
    static void apply(Scope s, boolean implicit, Path confPrefix, Notes notes, Map<String, String> keys) {
        String starttls = s.value("starttls", "off");
        if (implicit) {
            keys.put("tls", "implicit");
            if (!starttls.equals("off")) keys.put("starttls", "off"); // nginx offers no STARTTLS on TLS ports
        } else if (s.get("starttls") != null) {
            keys.put("starttls", starttls);
        }
        certificates(s, confPrefix, notes, keys);
        Directive protocols = s.get("ssl_protocols");
        if (protocols != null) {
            List<String> kept = new ArrayList<>();
            List<String> dropped = new ArrayList<>();
            for (String p : protocols.args()) (p.equals("TLSv1.2") || p.equals("TLSv1.3") ? kept : dropped).add(p);
            if (!dropped.isEmpty()) {
                notes.untranslated(protocols, String.join(" ", dropped) + " dropped: mailproxy refuses TLS before 1.2"
                        + " (RFC 8996), so clients that only speak those cannot connect");
            }
            if (!kept.isEmpty()) keys.put("tls-protocols", Values.quotedList(kept));
        }
        Directive verify = s.get("ssl_verify_client");
        if (verify != null) {
            switch (verify.arg(0)) {
                case "on" -> keys.put("tls-client-auth", "required");
                case "optional" -> keys.put("tls-client-auth", "optional");
                case "off" -> keys.put("tls-client-auth", "none");
                default -> notes.untranslated(verify, "mailproxy verifies every client certificate against"
                        + " tls-client-ca; it has no optional_no_ca (certificates left unrequested)");
            }
        }
        Directive ca = s.get("ssl_client_certificate");
        Directive trusted = s.get("ssl_trusted_certificate");
        if (ca != null && trusted != null) {
            notes.untranslated(trusted, "mailproxy takes one CA file (tls-client-ca); ssl_client_certificate is used");
        }
        Directive caFile = ca != null ? ca : trusted;
        if (caFile != null) keys.put("tls-client-ca", Values.quote(path(caFile.arg(0), confPrefix)));
        for (Map.Entry<String, String> e : UNTRANSLATED.entrySet()) {
            for (Directive d : s.all(e.getKey())) notes.untranslated(d, e.getValue());
        }
        sessions(s, confPrefix, notes, keys);
        Directive curve = s.get("ssl_ecdh_curve");
        if (curve != null) {
            if (curve.arg(0).equals("auto")) notes.ignored(curve, "the JDK picks the key exchange groups");
            else notes.untranslated(curve, "the JDK picks the key exchange groups (system property jdk.tls.namedGroups)");
        }
        for (Map.Entry<String, String> e : IGNORED.entrySet()) {
            for (Directive d : s.all(e.getKey())) notes.ignored(d, e.getValue());
        }
    }

    /**
     * ssl_session_cache → tls-session-cache (sessions: builtin's count, or shared's size at
     * nginx's 4000 a megabyte; off and none → 0), ssl_session_timeout → tls-session-timeout,
     * ssl_session_tickets → tls-tickets, each ssl_session_ticket_key → tls-ticket-keys.
     */
    private static void sessions(Scope s, Path confPrefix, Notes notes, Map<String, String> keys) {
        Directive cache = s.get("ssl_session_cache");
        if (cache != null) {
            long sessions = -1;
            for (String a : cache.args()) {
                if (a.equals("off") || a.equals("none")) sessions = 0;
                else if (a.equals("builtin")) sessions = Math.max(sessions, BUILTIN_SESSIONS);
                else if (a.startsWith("builtin:")) sessions = Math.max(sessions, Values.bytes(a.substring(8)));
                else if (a.startsWith("shared:") && a.lastIndexOf(':') > 6) {
                    long bytes = Values.bytes(a.substring(a.lastIndexOf(':') + 1));
                    sessions = Math.max(sessions, bytes < 0 ? -1 : bytes / SHARED_BYTES_PER_SESSION);
                }
            }
            if (sessions < 0) {
                notes.untranslated(cache, "not an nginx session cache (off, none, builtin[:N], shared:NAME:SIZE)");
            } else {
                // nginx's shared cache serves its workers; mailproxy is one process.
                keys.put("tls-session-cache", Long.toString(Math.min(sessions, 10_000_000)));
            }
        }
        Directive timeout = s.get("ssl_session_timeout");
        if (timeout != null) {
            long ms = Values.millis(timeout.arg(0));
            if (ms < 1000) notes.untranslated(timeout, "not an nginx time of a second or more");
            else keys.put("tls-session-timeout", Values.duration(ms / 1000 * 1000));
        }
        Directive tickets = s.get("ssl_session_tickets");
        if (tickets != null && tickets.arg(0).equals("on")) keys.put("tls-tickets", "true");
        if (tickets != null && !tickets.arg(0).equals("on")) {
            Directive protocols = s.get("ssl_protocols");
            if (protocols != null && !protocols.args().contains("TLSv1.3")) {
                keys.put("tls-tickets", "false");
            } else {
                notes.untranslated(tickets, "mailproxy cannot turn TLS 1.3 session tickets off (BoringSSL issues"
                        + " them whatever it is told; the JDK decides for the whole process): tickets stay on;"
                        + " without TLSv1.3 in ssl_protocols they can be turned off");
            }
        }
        List<String> ticketKeys = s.all("ssl_session_ticket_key").stream()
                .map(d -> path(d.arg(0), confPrefix)).toList();
        if (!ticketKeys.isEmpty() && (tickets == null || tickets.arg(0).equals("on"))) {
            keys.put("tls-ticket-keys", Values.quotedList(ticketKeys));
        }
    }

    /** ssl_certificate / ssl_certificate_key pairs, in order, as tls-certificates. */
    private static void certificates(Scope s, Path confPrefix, Notes notes, Map<String, String> keys) {
        List<Directive> certs = s.all("ssl_certificate");
        List<Directive> privateKeys = s.all("ssl_certificate_key");
        List<String> entries = new ArrayList<>();
        for (int i = 0; i < certs.size(); i++) {
            Directive cert = certs.get(i);
            Directive key = i < privateKeys.size() ? privateKeys.get(i) : null;
            if (key == null) {
                notes.untranslated(cert, "no ssl_certificate_key for this certificate (nginx refuses it too)");
                continue;
            }
            if (!usable(cert, notes) || !usable(key, notes)) continue;
            entries.add("{ certificate = " + Values.quote(path(cert.arg(0), confPrefix))
                    + ", key = " + Values.quote(path(key.arg(0), confPrefix)) + " }");
        }
        if (entries.size() == 1) keys.put("tls-certificates", "[ " + entries.get(0) + " ]");
        if (entries.size() > 1) keys.put("tls-certificates", "[\n  " + String.join("\n  ", entries) + "\n]");
    }

    private static boolean usable(Directive d, Notes notes) {
        String v = d.arg(0);
        for (String scheme : new String[] {"data:", "engine:", "store:"}) {
            if (v.startsWith(scheme)) {
                // never copy key material into a note
                notes.untranslated(d.where(), d.name() + " " + scheme + "...", "mailproxy reads certificates and keys"
                        + " from PEM or PKCS#12 files only: write it to a file");
                return false;
            }
        }
        if (v.contains("$")) {
            notes.untranslated(d, "mailproxy takes file names, not variables; with several certificates it picks"
                    + " the one matching the client's SNI");
            return false;
        }
        return true;
    }

    /** nginx resolves relative file names against its conf prefix (ngx_conf_full_name). */
    static String path(String file, Path confPrefix) {
        return confPrefix.resolve(file).normalize().toString();
    }
}
