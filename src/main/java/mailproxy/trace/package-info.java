/**
 * The protocol trace (README.md, "Protocol trace"): {@code TraceSwitch} decides who is
 * traced (config and admin), {@code SessionTrace} writes one session's C:/S: lines,
 * {@code Leg} taps a {@code wire.Connection}, {@code Redactor} hides a login's secrets by
 * command word, {@code RelayView} shows the relay's first bytes and {@code PendingLines}
 * keeps lines, bounded, until the user is known. It may import config and wire
 * (docs/ARCHITECTURE.md, "Packages").
 */
package mailproxy.trace;
