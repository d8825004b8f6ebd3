package mailproxy.imap;

import java.util.concurrent.atomic.AtomicReferenceArray;
import mailproxy.config.ListenerConfig;

/**
 * The pre-login capability list of the listeners in use, built once rather than for every
 * greeting and CAPABILITY (a set, upper-casing, a join: about 8 % of what a connection that
 * only reads the greeting allocates, bench/RESULTS.md, "Issue 22"). One
 * slot per STARTTLS / LOGINDISABLED combination, keyed by the listener's config object: a
 * reload brings new objects, and a slot another listener took is simply built again.
 */
final class CapabilityMemo {
    private record Entry(ListenerConfig listener, String capabilities) {}

    /** Index: canStartTls * 2 + tlsRequired. */
    private static final AtomicReferenceArray<Entry> SLOTS = new AtomicReferenceArray<>(4);

    private CapabilityMemo() {}

    static String capabilities(ListenerConfig listener, boolean canStartTls, boolean tlsRequired) {
        int slot = (canStartTls ? 2 : 0) + (tlsRequired ? 1 : 0);
        Entry e = SLOTS.get(slot);
        if (e != null && e.listener() == listener) return e.capabilities();
        String caps = ImapReplies.capabilities(listener, canStartTls, tlsRequired);
        SLOTS.set(slot, new Entry(listener, caps));
        return caps;
    }
}
