package mailproxy.route;

import java.util.List;
import mailproxy.config.Backend;

/** A balancing policy: the order in which a login tries the servers it may use. */
sealed interface Balancer permits UserHash, LeastConnections, RoundRobin {

    /**
     * @param key  the routing key (lower-cased login name, or the recipient in SMTP MX mode)
     * @param from the servers that may be used, in pool order; not empty
     * @param max  at most this many in the answer
     */
    List<PoolServer> order(String key, List<PoolServer> from, int max);

    static Balancer of(Backend.Balance b, int poolSize) {
        return switch (b) {
            case USER_HASH -> new UserHash();
            case LEAST_CONNECTIONS -> new LeastConnections();
            case ROUND_ROBIN -> new RoundRobin(poolSize);
        };
    }
}
