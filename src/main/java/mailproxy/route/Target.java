package mailproxy.route;

import mailproxy.config.Backend;

/**
 * One backend server for one protocol: where to connect and how to log in there
 * ({@code options} holds the per-protocol login style, ID, XCLIENT and AUTH choices).
 */
public record Target(String host, int port, Backend options) {
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
