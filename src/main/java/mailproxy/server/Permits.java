package mailproxy.server;

import java.util.concurrent.Semaphore;

/**
 * The connection permits shared by all listeners (max-connections). A reload may change
 * their number while connections hold some: the difference is added or taken away, so
 * the sessions already open count against the new number.
 */
final class Permits extends Semaphore {
    /** Written by reloads, read by scrapes (mailproxy_max_connections). */
    private volatile int size;

    Permits(int size) {
        super(size);
        this.size = size;
    }

    int size() { return size; }

    /** Called by one reload at a time. */
    void resize(int newSize) {
        if (newSize > size) release(newSize - size);
        else if (newSize < size) reducePermits(size - newSize);
        size = newSize;
    }
}
