package mailproxy.config;

import java.time.Duration;

/** Every bound on what a peer may make the proxy read or wait for (mailproxy.limits). */
public record Limits(
        int lineLength,
        int literalSize,
        int maxErrors,
        Duration timeout,
        Duration proxyTimeout,
        Duration halfCloseTimeout,
        Duration connectTimeout,
        Duration backendTimeout,
        int backendLineLength) {}
