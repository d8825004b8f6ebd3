package mailproxy.pop3;

import java.util.Locale;

/**
 * The POP3 commands the proxy answers itself in the AUTHORIZATION state (RFC 1939 §4).
 * "Commands in the POP3 consist of a case-insensitive keyword, possibly followed by one
 * or more arguments ... separated by a single SPACE" (RFC 1939 §3).
 */
sealed interface Pop3Command {
    record User(String name) implements Pop3Command {}

    /** The rest of the line: passwords may hold spaces (as Dovecot and nginx allow). */
    record Pass(String password) implements Pop3Command {
        @Override
        public String toString() { return "Pass[****]"; }
    }

    /** RFC 5034 §4: AUTH mechanism [initial-response]; no mechanism lists them (RFC 1734 style). */
    record Auth(String mechanism, String initialResponse) implements Pop3Command {
        @Override
        public String toString() { return "Auth[" + mechanism + (initialResponse == null ? "" : " ****") + "]"; }
    }

    /** RFC 1939 §7: APOP name digest. */
    record Apop(String name, String digest) implements Pop3Command {}

    record Capa() implements Pop3Command {}

    record Stls() implements Pop3Command {}

    record Noop() implements Pop3Command {}

    record Quit() implements Pop3Command {}

    /** A known command with missing or extra arguments. */
    record Invalid(String reply) implements Pop3Command {}

    /** Anything else, including transaction-state commands sent before login. */
    record Unknown(String keyword) implements Pop3Command {}

    static Pop3Command parse(String line) {
        if (line.indexOf('\0') >= 0) return new Invalid("NUL byte in command");
        int sp = line.indexOf(' ');
        String keyword = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
        String rest = sp < 0 ? "" : line.substring(sp + 1);
        String[] args = rest.isEmpty() ? new String[0] : rest.split(" ", -1);
        return switch (keyword) {
            case "USER" -> args.length == 1 && !args[0].isEmpty() ? new User(args[0]) : new Invalid("USER needs one name");
            case "PASS" -> sp < 0 ? new Invalid("PASS needs a password") : new Pass(rest);
            case "AUTH" -> switch (args.length) {
                case 0 -> new Auth(null, null);
                case 1 -> new Auth(args[0], null);
                case 2 -> new Auth(args[0], args[1]);
                default -> new Invalid("AUTH takes a mechanism and an optional initial response");
            };
            case "APOP" -> args.length == 2 ? new Apop(args[0], args[1]) : new Invalid("APOP needs a name and a digest");
            case "CAPA" -> args.length == 0 ? new Capa() : new Invalid("CAPA takes no argument");
            case "STLS" -> args.length == 0 ? new Stls() : new Invalid("STLS takes no argument");
            case "NOOP" -> new Noop();
            case "QUIT" -> new Quit();
            default -> new Unknown(keyword);
        };
    }
}
