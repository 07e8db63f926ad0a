package io.mooncake.engine.batch;

import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's one timer thread: batch deadlines, connect deadlines and periodic refreshes.
 * Work scheduled here must be short and must not block.
 */
public final class Deadlines implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Deadlines.class);

    /** How often armed {@link #expireAfter} deadlines are checked: how late one may fire. */
    static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /** How long the sweep keeps ticking after the last deadline was armed, before it parks. */
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** A deadline armed with {@link #expireAfter}; cancelling it costs a field write. */
    public interface Deadline {
        /** Stops it from firing (no effect once it fired). */
        void cancel();
    }

    private static final class Entry implements Deadline {
        final Runnable action;
        final long due;
        volatile boolean cancelled;

        Entry(Runnable action, long due) {
            this.action = action;
            this.due = due;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    private final ScheduledThreadPoolExecutor timer;
    private final ConcurrentLinkedQueue<Entry> armed = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private volatile long lastArmed;

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

    /**
     * Arms a deadline for the hot path (one per batch): no thread is woken to arm or cancel it. A
     * sweep on the timer thread checks armed deadlines every 5 ms while any were
     * armed in the last second, so one fires up to that much late; {@link #schedule} is exact but
     * wakes the timer thread whenever the new deadline is the earliest (with one request at a time:
     * on every request).
     */
    public Deadline expireAfter(Runnable action, Duration delay) {
        Entry e = new Entry(action, System.nanoTime() + delay.toNanos());
        armed.add(e);
        lastArmed = System.nanoTime();
        if (!sweeping.get() && sweeping.compareAndSet(false, true)) {
            startSweep();
        }
        return e;
    }

    private void startSweep() {
        try {
            timer.schedule(this::sweep, TICK_NANOS, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            sweeping.set(false);
        }
    }

    private void sweep() {
        long now = System.nanoTime();
        for (Iterator<Entry> it = armed.iterator(); it.hasNext();) {
            Entry e = it.next();
            if (e.cancelled) {
                it.remove();
            } else if (now - e.due >= 0) {
                it.remove();
                try {
                    e.action.run();
                } catch (Throwable t) {
                    log.warn("A deadline action failed", t);
                }
            }
        }
        if (armed.isEmpty() && now - lastArmed > IDLE_NANOS) {
            sweeping.set(false);
            // armed after the check above but before the flag dropped: that caller saw the flag set
            if (!armed.isEmpty() && sweeping.compareAndSet(false, true)) {
                startSweep();
            }
            return;
        }
        startSweep();
    }

    public ScheduledFuture<?> scheduleAtFixedRate(Runnable action, Duration period) {
        return timer.scheduleAtFixedRate(action, period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
