package mailproxy.config;

/** A config key with a wrong name, type or value; the message names the key and the file. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
