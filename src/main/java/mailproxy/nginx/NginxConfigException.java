package mailproxy.nginx;

/** An nginx config that cannot be read or parsed; the message starts with "file:line: ". */
final class NginxConfigException extends RuntimeException {
    NginxConfigException(String message) {
        super(message, null, false, false);
    }

    static NginxConfigException at(Source where, String message) {
        return new NginxConfigException(where + ": " + message);
    }
}
