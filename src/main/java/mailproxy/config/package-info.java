/**
 * The configuration: immutable records read once from HOCON over {@code reference.conf},
 * every error naming the key and the file; {@code Protocol}, the table of each protocol's
 * facts ({@code ProtocolSpec}), its listener options record ({@code <Name>Options}, keys
 * {@code <id>-*}) and its backend section ({@code BackendSections}). Nothing after startup
 * sees a typesafe-config object. It may import tls (building contexts at startup) and wire
 * ({@code CidrSet}) (docs/ARCHITECTURE.md, "Packages").
 */
package mailproxy.config;
