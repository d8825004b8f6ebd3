/**
 * Where a login goes: {@code Router} and its kinds (the static map; auth_http with its
 * client, keep-alive connections and header escaping), built by {@code Routers}; the
 * backend pools ({@code Pools}, {@code Pool}, {@code PoolServer}, the balancing policies
 * behind {@code Balancer}, the active checks of {@code HealthChecker} and
 * {@code HealthProbe}); and {@code BackendDialer}, which connects within
 * limits.connect-timeout. It may import config, tls and wire (docs/ARCHITECTURE.md,
 * "Packages").
 */
package mailproxy.route;
