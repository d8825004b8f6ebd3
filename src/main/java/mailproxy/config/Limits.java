package mailproxy.config;

import java.time.Duration;

/**
 * Every bound on what a peer may make the proxy read or wait for (mailproxy.limits).
 *
 * @param greetingTimeout how long a freshly connected backend may take to send its first
 *                        byte before the next server of its pool is tried
 * @param loginLifetime   how long a session may take from accept until its login is done,
 *                        however busy it keeps itself (NOOP every so often); zero = no bound
 * @param proxyHeaderTimeout how long a connection to a proxy-protocol listener may take to
 *                        send its PROXY header: a balancer sends it at once, so a client
 *                        that connected past the balancer is cut soon (README "Limits and
 *                        throttles")
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
        int backendLineLength,
        Duration loginLifetime,
        Duration proxyHeaderTimeout) {

    /**
     * These limits with a listener's own values (nginx's timeout, max_errors, proxy_timeout
     * inside a server {}); a null keeps this one's value.
     */
    public Limits withOverrides(Integer lineLength, Integer maxErrors, Duration timeout, Duration proxyTimeout) {
        return new Limits(
                lineLength == null ? this.lineLength : lineLength,
                literalSize,
                maxErrors == null ? this.maxErrors : maxErrors,
                timeout == null ? this.timeout : timeout,
                proxyTimeout == null ? this.proxyTimeout : proxyTimeout,
                halfCloseTimeout,
                connectTimeout,
                greetingTimeout,
                backendTimeout,
                backendLineLength,
                loginLifetime,
                proxyHeaderTimeout);
    }
}
