/**
 * The running proxy: listeners and their accept loop, the permits of max-connections taken
 * before accept, the registry of live sessions, reloads ({@code Generation}: the config,
 * pools, routers and guard in force), the graceful stop, the server's {@code Metrics}, and
 * {@code ProtocolRegistry}, the one place that knows which session story speaks each
 * protocol (docs/ARCHITECTURE.md, "Adding a protocol"). It may import session, the
 * protocol packages, route, guard, metrics, trace, config and wire (docs/ARCHITECTURE.md,
 * "Packages").
 */
package mailproxy.server;
