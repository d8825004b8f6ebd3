package mailproxy.config;

import java.util.Locale;
import java.util.Map;
import mailproxy.config.Backend.Balance;
import mailproxy.config.ProtocolSpec.HealthCheck;
import mailproxy.config.ProtocolSpec.Redaction;

/**
 * The mail protocols a listener speaks, each with the facts that code outside its own
 * package needs: this table is the one place that names them (docs/ARCHITECTURE.md,
 * "Where things go"), next to the readers of its listener options and of its backend
 * section. LMTP (RFC 2033) is delivery, not a login: each recipient is routed on its own.
 * SIEVE is ManageSieve (RFC 5804).
 */
public enum Protocol {
    /**
     * Port 143; the greeting is "* OK" (RFC 9051 §7.1.1; PREAUTH and BYE are no good for
     * a proxy); LOGIN user password (§6.2.3) and AUTHENTICATE mechanism [initial
     * response] (§6.2.2, RFC 4959 SASL-IR), whose challenges are "+ " lines (§7.5), with
     * untagged data between them (§7).
     */
    IMAP(new ProtocolSpec(143, Balance.USER_HASH, true,
            new HealthCheck(line -> false, line -> line.regionMatches(true, 0, "* OK", 0, 4), "a LOGOUT"),
            new Redaction(Map.of("LOGIN", 1, "AUTHENTICATE", 1), line -> plusChallenge(line) || line.startsWith("* "), true)),
            new ListenerReader.OptionsReader(ImapOptions.KEYS, ImapOptions::read),
            BackendSections::imap),

    /**
     * Port 110; "+OK" greets (RFC 1939 §4); PASS password, APOP user digest (§7), AUTH
     * (RFC 5034 §4) with "+ " challenges.
     */
    POP3(new ProtocolSpec(110, Balance.USER_HASH, true,
            new HealthCheck(line -> false, line -> line.startsWith("+OK"), "QUIT"),
            new Redaction(Map.of("PASS", 0, "APOP", 1, "AUTH", 1), Protocol::plusChallenge, false)),
            new ListenerReader.OptionsReader(Pop3Options.KEYS, Pop3Options::read),
            BackendSections::pop3),

    /**
     * Port 25; a 220 greeting, multi-line with "220-" (RFC 5321 §4.2, §4.2.1); AUTH
     * mechanism [initial response] with 334 challenges (RFC 4954 §4). Any server relays:
     * least-connections.
     */
    SMTP(new ProtocolSpec(25, Balance.LEAST_CONNECTIONS, true,
            new HealthCheck(line -> line.startsWith("220-"), Protocol::greets220, "QUIT"),
            new Redaction(Map.of("AUTH", 1), line -> line.startsWith("334"), false)),
            new ListenerReader.OptionsReader(SmtpOptions.KEYS, SmtpOptions::read),
            BackendSections::smtp),

    /**
     * Port 24 (RFC 2033 §5: LMTP must not be used on port 25); greets as SMTP (§4); no
     * login: the MTA delivering is trusted by where it connects from (lmtp-clients).
     */
    LMTP(new ProtocolSpec(24, Balance.USER_HASH, false,
            new HealthCheck(line -> line.startsWith("220-"), Protocol::greets220, "QUIT"),
            new Redaction(Map.of(), line -> false, false)),
            new ListenerReader.OptionsReader(LmtpOptions.KEYS, LmtpOptions::read),
            BackendSections::basic),

    /**
     * Port 4190 (RFC 5804 §1.8); the greeting is the capability lines (quoted strings),
     * then OK (§1.7); AUTHENTICATE mechanism [initial response] (§2.1), whose challenges
     * are strings, quoted or literal.
     */
    SIEVE(new ProtocolSpec(4190, Balance.USER_HASH, true,
            new HealthCheck(line -> line.startsWith("\""),
                    line -> line.equalsIgnoreCase("OK") || line.regionMatches(true, 0, "OK ", 0, 3), "LOGOUT"),
            new Redaction(Map.of("AUTHENTICATE", 1), line -> line.startsWith("\"") || line.startsWith("{"), true)),
            new ListenerReader.OptionsReader(SieveOptions.KEYS, SieveOptions::read),
            BackendSections::basic);

    private final ProtocolSpec spec;
    private final ListenerReader.OptionsReader listenerOptions;
    private final BackendSections.Reader backendSection;

    Protocol(ProtocolSpec spec, ListenerReader.OptionsReader listenerOptions, BackendSections.Reader backendSection) {
        this.spec = spec;
        this.listenerOptions = listenerOptions;
        this.backendSection = backendSection;
    }

    /** Lower-case name as written in config, logs and auth_http's Auth-Protocol. */
    public String id() { return name().toLowerCase(Locale.ROOT); }

    /** What code outside the protocol's package knows of it. */
    public ProtocolSpec spec() { return spec; }

    /** Reads this protocol's listener options: its own record, from the keys it declares. */
    ListenerReader.OptionsReader listenerOptions() { return listenerOptions; }

    /** Reads this protocol's section of a backend (mailproxy.backends.NAME.&lt;id&gt;). */
    BackendSections.Reader backendSection() { return backendSection; }

    /** IMAP's and POP3's continuation request: "+", then optionally a space and base64. */
    private static boolean plusChallenge(String line) {
        return line.equals("+") || line.startsWith("+ ");
    }

    private static boolean greets220(String line) {
        return line.equals("220") || line.startsWith("220 ");
    }
}
