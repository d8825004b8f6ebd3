/**
 * {@code Metrics}: every metric family of one server in its own Prometheus registry; the
 * pool gauges and max-connections in force are read at scrape time. It may import route
 * and config (docs/ARCHITECTURE.md, "Packages").
 */
package mailproxy.metrics;
