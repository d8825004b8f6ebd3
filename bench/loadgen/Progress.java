package loadgen;

import java.util.function.Supplier;

/** One progress line on stderr, rewritten every second until stopped. */
final class Progress {
    private final Thread thread;
    private final Supplier<String> text;
    private volatile boolean running = true;

    private Progress(Supplier<String> text) {
        this.text = text;
        this.thread = Thread.ofVirtual().name("progress").start(this::loop);
    }

    static Progress start(Supplier<String> text) {
        return new Progress(text);
    }

    private void loop() {
        while (running) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            if (running) System.err.print("\r  " + pad(text.get()));
        }
    }

    void stop() {
        running = false;
        thread.interrupt();
        System.err.print("\r  " + pad(text.get()) + "\n");
    }

    private static String pad(String s) {
        return s.length() >= 78 ? s : s + " ".repeat(78 - s.length());
    }
}
