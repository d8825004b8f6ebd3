package mailproxy.config;

import java.util.List;

/**
 * An IMAP listener's own options (imap-* keys).
 *
 * @param capabilities announced before login besides AUTH=..., SASL-IR and ID
 */
public record ImapOptions(List<String> capabilities) implements ListenerConfig.Options {
    static final List<String> KEYS = List.of("imap-capabilities");

    static ImapOptions read(ListenerReader.Context c) {
        return new ImapOptions(c.s().strings("imap-capabilities"));
    }
}
