package mailproxy.config;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/** A named router (mailproxy.routers.NAME): who decides which backend holds an account. */
public sealed interface RouterConfig {
    String name();

    /**
     * The embedded map: a user as written (lower-cased), else its domain, else the default.
     * Values are backend names, checked at startup.
     */
    record Static(String name, String defaultBackend, Map<String, String> domains, Map<String, String> users)
            implements RouterConfig {}

    /**
     * nginx's auth_http protocol. {@code backendTemplate} names a backend whose per-protocol
     * options (login style, ID, XCLIENT, SMTP AUTH) apply to the servers the auth server
     * returns; null means defaults. {@code passClientCert} sends the client certificate
     * (PEM, escaped) as Auth-SSL-Cert, like nginx's auth_http_pass_client_cert. {@code limit}
     * bounds the requests to the auth server at once.
     */
    record AuthHttp(String name, URI url, Duration timeout, Map<String, String> headers,
                    int keepAlive, String backendTemplate, boolean passClientCert, CallLimit limit) implements RouterConfig {}

    /**
     * A router's calls at once ({@code max-concurrent}), the logins that may wait for one
     * ({@code queue}) and how long ({@code queue-timeout}); past them a login gets the
     * protocol's temporary failure (README, "Reconnect storms").
     */
    record CallLimit(int maxConcurrent, int queue, Duration queueTimeout) {
        public static final CallLimit DEFAULT = new CallLimit(64, 256, Duration.ofSeconds(5));
    }
}
