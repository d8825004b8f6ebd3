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
 * @param pendingBytes bytes at most one session keeps while it waits to learn the user's
 *     name (the rest is dropped and counted)
 * @param pendingTotal bytes at most all sessions together keep while they wait
 */
public record TraceConfig(Set<String> users, CidrSet clients, int maxLines, long pendingBytes, long pendingTotal) {
    public static final TraceConfig NONE = new TraceConfig(Set.of(), CidrSet.EMPTY, 200, 16 * 1024, 8 * 1024 * 1024);

    public TraceConfig {
        users = Set.copyOf(users.stream().map(u -> u.toLowerCase(Locale.ROOT)).toList());
    }

    static TraceConfig of(List<String> users, CidrSet clients, int maxLines, long pendingBytes, long pendingTotal) {
        return new TraceConfig(Set.copyOf(users), clients, maxLines, pendingBytes, pendingTotal);
    }
}
