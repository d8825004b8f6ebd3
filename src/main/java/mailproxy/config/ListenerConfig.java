package mailproxy.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/** One listener (an element of mailproxy.listeners, over mailproxy.listener-defaults). */
public record ListenerConfig(
        String name,
        Protocol protocol,
        List<InetSocketAddress> addresses,
        String router,
        List<String> auth,
        List<String> pop3Capabilities,
        List<String> imapCapabilities,
        SmtpMode smtpMode,
        long smtpSize,
        Duration smtpGreetingDelay,
        ListenerTls tls,
        boolean pop3Apop) {

    /** SMTP listener kind: submission needs AUTH before MAIL; mx takes mail without it. */
    public enum SmtpMode { SUBMISSION, MX }

    public boolean offers(String mechanism) {
        return auth.stream().anyMatch(m -> m.equalsIgnoreCase(mechanism));
    }
}
