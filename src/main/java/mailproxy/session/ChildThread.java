package mailproxy.session;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * Runs part of a session's story on a short-lived virtual thread of the same name while the
 * session's thread waits for it, as if it ran in place: what the child throws is thrown
 * again here, and what it wrote is seen after (a join is a happens-before edge).
 *
 * <p>Why: a virtual thread keeps the stack chunk its deepest park needed for as long as it
 * lives. The session's thread lives on to relay, for hours; the deep parks (the JDK's TLS
 * handshake, a backend login) happen before that, so they run on a child whose chunk dies
 * with it (docs/ARCHITECTURE.md, "The connection story").
 */
final class ChildThread {
    /** The part to run. */
    interface Body {
        void run() throws IOException, InterruptedException;
    }

    private ChildThread() {
    }

    /**
     * @param current told which thread runs the story now (the child, then the caller again),
     *                so that a stopping server interrupts the right one
     */
    static void run(Body body, Consumer<Thread> current) throws IOException, InterruptedException {
        Thread self = Thread.currentThread();
        Throwable[] failure = new Throwable[1];
        Thread child = Thread.ofVirtual().name(self.getName()).unstarted(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                failure[0] = t;
            }
        });
        current.accept(child);
        try {
            child.start();
            child.join();
        } catch (InterruptedException e) {
            child.interrupt();
            child.join();
            throw e;
        } finally {
            current.accept(self);
        }
        switch (failure[0]) {
            case null -> { }
            case IOException e -> throw e;
            case InterruptedException e -> throw e;
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> throw new IllegalStateException(failure[0]);
        }
    }
}
