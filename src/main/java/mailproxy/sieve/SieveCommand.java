package mailproxy.sieve;

import java.util.List;

/**
 * A ManageSieve command as read before login (RFC 5804 §2, §4): its name, upper-cased, and
 * its arguments (strings, quoted or literal, and numbers), as wire bytes.
 */
sealed interface SieveCommand {
    /** command-name *(SP argument); arguments are never logged (AUTHENTICATE carries credentials). */
    record Parsed(String name, List<String> args) implements SieveCommand {
        @Override
        public String toString() { return "Parsed[" + name + ", " + args.size() + " args]"; }
    }

    /**
     * A line that does not parse; with {@code close} the stream cannot be kept in step (a
     * literal over the limit whose bytes are already on their way) and ends after the reply.
     */
    record Invalid(String reason, boolean close) implements SieveCommand {}
}
