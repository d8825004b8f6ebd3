package mailproxy.guard;

/** The shared store could not be reached in time or answered nonsense. */
final class StateUnavailableException extends RuntimeException {
    StateUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
