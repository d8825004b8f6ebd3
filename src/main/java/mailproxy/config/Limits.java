package mailproxy.config;

import java.time.Duration;

/**
 * Every bound on what a peer may make the proxy read or wait for (mailproxy.limits).
 *
 * @param greetingTimeout how long a freshly connected backend may take to send its first
 *                        byte before the next server of its pool is tried
 */
public record Limits(
        int lineLength,
        int literalSize,
        int maxErrors,
        Duration timeout,
        Duration proxyTimeout,
        Duration halfCloseTimeout,
        Duration connectTimeout,
        Duration greetingTimeout,
        Duration backendTimeout,
        int backendLineLength) {}
