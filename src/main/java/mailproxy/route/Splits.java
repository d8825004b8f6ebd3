package mailproxy.route;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import mailproxy.wire.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions of one user open on two servers at once (README, "Why a user stays on one
 * server"): the count (metric mailproxy_pool_split_sessions_total) and one warning per
 * user. The users already warned about are a bounded set: past {@link #MAX_WARNED} the
 * count goes on and one more line says that the rest are not logged one by one.
 */
final class Splits {
    private static final Logger log = LoggerFactory.getLogger("mailproxy.pool");
    static final int MAX_WARNED = 1000;

    private final AtomicLong count = new AtomicLong();
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    void count(String user, String here, String there) {
        count.incrementAndGet();
        if (warned.size() < MAX_WARNED) {
            if (warned.add(user)) {
                log.warn("user {} has sessions on two servers: {} and {} (split; affinity could not keep them on one)",
                        LogSafe.value(user), here, there);
            }
        } else if (warned.add("")) {
            log.warn("more users with split sessions: counted in mailproxy_pool_split_sessions_total, not logged one by one");
        }
    }

    long count() {
        return count.get();
    }
}
