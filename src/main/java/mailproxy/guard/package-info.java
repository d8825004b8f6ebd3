/**
 * Abuse limits: connections per address and per user, the failed-login throttle and blocks
 * ({@code Guard}), with their counters in this process ({@code LocalState}) or shared in
 * Redis ({@code RedisState}, with {@code FallbackState} while Redis is down, and the
 * per-proxy shares of {@code Places}). It may import config, tls (TLS to Redis) and wire
 * (docs/ARCHITECTURE.md, "Packages").
 */
package mailproxy.guard;
