/**
 * Bytes on a socket, for every protocol: {@code Connection} (the bounded line reader and
 * the watched writes; its parts {@code ConnectionSocket}, {@code Deadlines},
 * {@code WatchedWrites}), {@code CommandReader} (a command's lines, quoted strings and
 * literals, bounded; under the IMAP and ManageSieve parsers), {@code Relay} (with
 * {@code RelayPump}, {@code RelayKick}, {@code ResponseEnds}),
 * {@code Watchdog}, the PROXY protocol codec ({@code ProxyHeaderReader},
 * {@code ProxyHeaderWriter}), {@code Cidr} and {@code CidrSet}, {@code Addresses} and
 * {@code LogSafe}. The bottom of the graph: it imports nothing of ours
 * (docs/ARCHITECTURE.md, "Packages").
 */
package mailproxy.wire;
