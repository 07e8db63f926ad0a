package io.mooncake.engine.transport;

import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.memory.Hold;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.stats.FailureKind;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Copies slices between host addresses for the memory transports (same process, shared memory,
 * CXL): small slices on the submitting thread (a hand-off costs more than the copy), larger ones
 * on a few copy threads, so a submit never blocks its caller on a large copy. One exception: a
 * request of a single slice up to {@link #CALLER_BYTES} that ends its batch, submitted while the
 * copy threads have nothing to do, is copied on the submitting thread too: its caller waits for it
 * next, and handing it off would add two thread wake-ups (the copy thread's, then the caller's) to
 * a copy of tens of microseconds; batches still spread over the copy threads. Each slice ends
 * exactly once, and the {@link Hold} that keeps its memory mapped is released right after its
 * copy. Queues are plain arrays: nothing is allocated per slice. Thread-safe.
 */
public final class MemoryCopier implements AutoCloseable {

    /** The largest lone request copied on its submitting thread when the copy threads are idle. */
    public static final int CALLER_BYTES = 1 << 20;

    private final int inlineBytes;
    private final Worker[] workers;
    private final AtomicInteger next = new AtomicInteger();
    /** Slices handed to the copy threads and not copied yet. */
    private final AtomicInteger queued = new AtomicInteger();
    private volatile boolean closed;

    /**
     * @param name thread name prefix
     * @param threads copy threads (at least 1)
     * @param inlineBytes slices up to this size are copied on the submitting thread
     */
    public MemoryCopier(String name, int threads, int inlineBytes) {
        this.inlineBytes = inlineBytes;
        this.workers = new Worker[Math.max(1, threads)];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(name + "-" + i, queued);
            workers[i].thread.start();
        }
    }

    /**
     * Copies {@code length} bytes from {@code from} to {@code to} for one slice of {@code task}, then
     * releases {@code hold} (may be {@code null}) and completes the slice. Skips the copy (and
     * still ends the slice) when the task has already ended.
     */
    public void copy(TransferTask task, long from, long to, int length, Hold hold) {
        if (length <= inlineBytes || closed || (length <= CALLER_BYTES && queued.get() == 0 && task.sliceCount() == 1
                && task.lastOfBatch())) {
            run(task, from, to, length, hold);
            return;
        }
        queued.incrementAndGet();
        Worker w = workers[Math.floorMod(next.getAndIncrement(), workers.length)];
        w.enqueue(task, from, to, length, hold);
    }

    static void run(TransferTask task, long from, long to, int length, Hold hold) {
        run(task, from, to, length, hold, null);
    }

    /** As above; {@code queued}, when given, is decremented once the copy is over, before the slice ends. */
    private static void run(TransferTask task, long from, long to, int length, Hold hold, AtomicInteger queued) {
        FailureKind failure = null;
        String reason = null;
        try {
            if (task.isDone()) {
                failure = FailureKind.CANCELED;
                reason = "ended before it was copied";
            } else if (hold != null && !hold.valid()) {
                failure = FailureKind.CONNECTION;
                reason = "the memory of '" + task.target().segmentName()
                        + "' is gone: its owner process exited or unregistered it";
            } else {
                NativeMemory.copy(from, to, length);
            }
        } catch (RuntimeException | Error e) {
            failure = FailureKind.LOCAL;
            reason = "copy of " + length + " bytes failed: " + e;
        } finally {
            if (hold != null) {
                hold.release();
            }
            if (queued != null) {
                // before the slice ends: its submitter, woken by the end, may submit again at once and
                // should find the copy threads idle
                queued.decrementAndGet();
            }
        }
        if (failure != null) {
            task.sliceFailed(failure, reason);
        } else {
            task.sliceCompleted(length);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) {
            w.stop();
        }
    }

    /** One copy thread and its ring of slices. */
    private static final class Worker implements Runnable {
        final Thread thread;
        private final Object lock = new Object();
        private TransferTask[] task = new TransferTask[64];
        private long[] from = new long[64];
        private long[] to = new long[64];
        private int[] length = new int[64];
        private Hold[] hold = new Hold[64];
        private int head;
        private int count;
        private final AtomicInteger queued;
        private volatile boolean parked;
        private volatile boolean stopping;

        Worker(String name, AtomicInteger queued) {
            this.queued = queued;
            thread = new Thread(this, name);
            thread.setDaemon(true);
        }

        void enqueue(TransferTask t, long f, long d, int len, Hold h) {
            synchronized (lock) {
                if (count == task.length) {
                    grow();
                }
                int i = (head + count) & (task.length - 1);
                task[i] = t;
                from[i] = f;
                to[i] = d;
                length[i] = len;
                hold[i] = h;
                count++;
            }
            if (parked) {
                LockSupport.unpark(thread);
            }
        }

        private void grow() {
            int n = task.length * 2;
            TransferTask[] t2 = new TransferTask[n];
            long[] f2 = new long[n];
            long[] d2 = new long[n];
            int[] l2 = new int[n];
            Hold[] h2 = new Hold[n];
            for (int k = 0; k < count; k++) {
                int o = (head + k) & (task.length - 1);
                t2[k] = task[o];
                f2[k] = from[o];
                d2[k] = to[o];
                l2[k] = length[o];
                h2[k] = hold[o];
            }
            task = t2;
            from = f2;
            to = d2;
            length = l2;
            hold = h2;
            head = 0;
        }

        @Override
        public void run() {
            while (true) {
                TransferTask t;
                long f;
                long d;
                int len;
                Hold h;
                synchronized (lock) {
                    if (count == 0) {
                        t = null;
                        f = 0;
                        d = 0;
                        len = 0;
                        h = null;
                    } else {
                        int i = head;
                        t = task[i];
                        f = from[i];
                        d = to[i];
                        len = length[i];
                        h = hold[i];
                        task[i] = null;
                        hold[i] = null;
                        head = (head + 1) & (task.length - 1);
                        count--;
                    }
                }
                if (t != null) {
                    MemoryCopier.run(t, f, d, len, h, queued);
                    continue;
                }
                if (stopping) {
                    return;
                }
                parked = true;
                boolean empty;
                synchronized (lock) {
                    empty = count == 0;
                }
                if (empty && !stopping) {
                    LockSupport.park(this);
                }
                parked = false;
            }
        }

        void stop() {
            stopping = true;
            LockSupport.unpark(thread);
        }
    }
}
