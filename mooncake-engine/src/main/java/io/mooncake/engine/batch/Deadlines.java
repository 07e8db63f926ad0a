package io.mooncake.engine.batch;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The engine's one timer thread: batch deadlines, connect deadlines and periodic refreshes.
 * Work scheduled here must be short and must not block.
 */
public final class Deadlines implements AutoCloseable {

    private final ScheduledThreadPoolExecutor timer;

    public Deadlines(String name) {
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
    }

    public ScheduledFuture<?> schedule(Runnable action, Duration delay) {
        return timer.schedule(action, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    public ScheduledFuture<?> scheduleAtFixedRate(Runnable action, Duration period) {
        return timer.scheduleAtFixedRate(action, period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
