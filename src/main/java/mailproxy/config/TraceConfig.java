package mailproxy.config;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import mailproxy.wire.CidrSet;

/**
 * mailproxy.trace: whose sessions write their protocol dialogue to the mailproxy.trace
 * log besides the listeners with {@code trace = true}.
 *
 * @param users login names (matched case-insensitively) whose sessions are traced
 * @param clients client address ranges whose sessions are traced from the first byte
 * @param maxLines lines at most one session writes to the trace (and keeps while it waits
 *     to learn the user's name)
 */
public record TraceConfig(Set<String> users, CidrSet clients, int maxLines) {
    public static final TraceConfig NONE = new TraceConfig(Set.of(), CidrSet.EMPTY, 200);

    public TraceConfig {
        users = Set.copyOf(users.stream().map(u -> u.toLowerCase(Locale.ROOT)).toList());
    }

    static TraceConfig of(List<String> users, CidrSet clients, int maxLines) {
        return new TraceConfig(Set.copyOf(users), clients, maxLines);
    }
}
