package mailproxy.sasl;

import java.io.IOException;

/** Sends one server challenge the protocol's way (IMAP/POP3 "+ ", SMTP "334 ") and reads the reply line. */
@FunctionalInterface
public interface Challenger {
    /** @return the client's response line, or null if the client hung up */
    String challenge(String base64) throws IOException;
}
