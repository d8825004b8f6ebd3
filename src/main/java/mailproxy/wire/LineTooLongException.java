package mailproxy.wire;

import java.io.IOException;

/** A peer sent more than the configured line length without a line end. */
public final class LineTooLongException extends IOException {
    public LineTooLongException(int max) {
        super("line longer than " + max + " bytes");
    }
}
