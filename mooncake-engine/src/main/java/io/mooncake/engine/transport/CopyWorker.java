package io.mooncake.engine.transport;

import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.memory.Hold;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One copy thread and the slices handed to it: any thread {@link #offer}s a slice (a task, a
 * device, source and destination addresses, a length and a {@link Hold}); the thread takes them
 * in order and passes each to its {@link Copy}, outside any lock. The queue is a
 * {@link SliceRing} under a monitor, so nothing is allocated per slice; an idle thread parks and
 * the next offer unparks it (no lost wake-up: the thread re-checks the queue after announcing that
 * it parks). Used by {@link MemoryCopier} and by the GPU copy pools.
 *
 * <p>{@link #close()} refuses later offers ({@code false}: the caller ends the slice itself) and
 * lets the thread pass what is queued to its {@code Copy}, then end, so no offered slice is left
 * behind; a {@code Copy} that must not copy after close checks that itself. Thread-safe.
 */
public final class CopyWorker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CopyWorker.class);

    /** What the copy thread does with each slice: copy it, release its hold, end it (exactly once). */
    @FunctionalInterface
    public interface Copy {

        /**
         * Runs on the copy thread, one slice at a time, in the order offered. Should not throw: a
         * slice it throws for is logged and left to the task's deadline.
         */
        void copy(TransferTask task, int device, long from, long to, int length, Hold hold);
    }

    private static final int FROM = 0;
    private static final int TO = 1;
    private static final int LENGTH = 0;
    private static final int DEVICE = 1;

    private final Copy copy;
    private final Thread thread;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private final SliceRing<Hold> ring = new SliceRing<>(2, 2, 64);
    /** Guarded by {@link #lock}. */
    private boolean closed;
    /** Set by the copy thread before it checks the queue a last time and parks. */
    private volatile boolean parked;

    private CopyWorker(String name, Copy copy) {
        this.copy = copy;
        this.thread = new Thread(this::work, name);
        thread.setDaemon(true);
    }

    /** Starts a daemon copy thread named {@code name} that hands each slice to {@code copy}. */
    public static CopyWorker start(String name, Copy copy) {
        CopyWorker w = new CopyWorker(name, copy);
        w.thread.start();
        return w;
    }

    /**
     * Queues one slice for the copy thread; {@code false} (nothing queued) once {@link #close()}d,
     * and the caller ends the slice.
     */
    public boolean offer(TransferTask task, int device, long from, long to, int length, Hold hold) {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            int s = ring.add(task, hold);
            ring.setLong(s, FROM, from);
            ring.setLong(s, TO, to);
            ring.setInt(s, LENGTH, length);
            ring.setInt(s, DEVICE, device);
        }
        if (parked) {
            LockSupport.unpark(thread);
        }
        return true;
    }

    /** Refuses further offers; the thread copies what is queued, then ends. Does not wait. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
        }
        LockSupport.unpark(thread);
    }

    /** The copy thread (tests: whether it ended). */
    Thread thread() {
        return thread;
    }

    private void work() {
        while (true) {
            TransferTask task = null;
            int device = 0;
            long from = 0;
            long to = 0;
            int length = 0;
            Hold hold = null;
            boolean stop;
            synchronized (lock) {
                stop = closed;
                if (!ring.isEmpty()) {
                    int s = ring.first();
                    task = ring.task(s);
                    hold = ring.attachment(s);
                    from = ring.getLong(s, FROM);
                    to = ring.getLong(s, TO);
                    length = ring.getInt(s, LENGTH);
                    device = ring.getInt(s, DEVICE);
                    ring.removeFirst();
                }
            }
            if (task != null) {
                try {
                    copy.copy(task, device, from, to, length, hold);
                } catch (RuntimeException | Error e) {
                    log.error("{}: a copy of {} bytes threw instead of ending its slice", thread.getName(), length, e);
                }
                continue;
            }
            if (stop) {
                return;
            }
            parked = true;
            boolean idle;
            synchronized (lock) {
                idle = ring.isEmpty() && !closed;
            }
            if (idle) {
                LockSupport.park(this);
            }
            parked = false;
        }
    }

    @Override
    public String toString() {
        return "CopyWorker[" + thread.getName() + "]";
    }
}
