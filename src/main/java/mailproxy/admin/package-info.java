/**
 * The admin HTTP listener on the JDK's HTTP server: the status page ({@code /}, its files
 * and {@code /status}), {@code /metrics}, {@code /health/*},
 * {@code /sessions}, {@code /pools} and the actions ({@code /close}, {@code /drain}, {@code /undrain},
 * {@code /trace}, {@code /reload}), every request passing {@code RequestCheck} first
 * (Host, Origin, Sec-Fetch-Site, the bearer token; docs/SECURITY.md). It may import
 * server, session ({@code SessionInfo}), metrics, trace, config and wire
 * (docs/ARCHITECTURE.md, "Packages").
 */
package mailproxy.admin;
