package io.mooncake.engine.transport.tcp;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Logs a failure that repeats (an accept loop out of file descriptors) once, then at most once per
 * window with a count, e.g. "accept failed 12,345 times in the last 10 s: Too many open files",
 * and once more when it stops. Confined to one thread.
 */
final class RepeatedFailureLog {

    private final String what;
    private final long windowNanos;
    private final LongSupplier clock;
    private final Consumer<String> sink;
    private long windowStart;
    private long inWindow;
    private long streak;
    private String lastMessage;

    /**
     * @param what the action that fails, for the lines ("accept")
     * @param window how long repeats are summed into one line
     * @param clock {@link System#nanoTime} or a test's clock
     * @param sink where the lines go (a logger's warn)
     */
    RepeatedFailureLog(String what, long window, TimeUnit unit, LongSupplier clock, Consumer<String> sink) {
        this.what = what;
        this.windowNanos = unit.toNanos(window);
        this.clock = clock;
        this.sink = sink;
    }

    /** One more failure with {@code message}. */
    void failed(String message) {
        long now = clock.getAsLong();
        lastMessage = message;
        if (streak++ == 0) {
            sink.accept(what + " failed: " + message + " (repeats are logged once per "
                    + TimeUnit.NANOSECONDS.toSeconds(windowNanos) + " s with a count)");
            windowStart = now;
            inWindow = 0;
            return;
        }
        inWindow++;
        if (now - windowStart >= windowNanos) {
            flush(now);
        }
    }

    /** The action succeeded: ends a streak of failures, saying how it ended. */
    void succeeded() {
        if (streak == 0) {
            return;
        }
        long now = clock.getAsLong();
        if (inWindow > 0) {
            flush(now);
        }
        sink.accept(what + " works again after " + String.format("%,d", streak) + " consecutive failures");
        streak = 0;
    }

    /** Failures in the current streak. */
    long streak() {
        return streak;
    }

    private void flush(long now) {
        long seconds = Math.max(1, Math.round((now - windowStart) / 1e9));
        sink.accept(String.format("%s failed %,d times in the last %d s: %s", what, inWindow, seconds, lastMessage));
        windowStart = now;
        inWindow = 0;
    }
}
