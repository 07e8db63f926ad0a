package io.mooncake.device.cuda;

import com.sun.jna.Pointer;
import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.memory.Hold;
import io.mooncake.engine.stats.FailureKind;
import io.mooncake.jna.cuda.Cuda;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies slices with {@code cuMemcpyAsync} on a small pool of streams: each of {@code streams}
 * workers owns one non-blocking stream per device, takes slices from its own queue, issues the
 * copy and waits for its stream ({@code cuStreamSynchronize}) before ending the slice, so up to
 * {@code streams} copies run on the copy engines at once. Slices of a task that already ended
 * (deadline, cancel) and were not issued yet end at once without a copy; an issued copy cannot be
 * recalled, and its slice ends when the GPU finishes it. Queues are growable arrays (allocation
 * only when one grows), so nothing is allocated per slice. Thread-safe.
 */
public final class CudaCopier implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CudaCopier.class);

    private final Cuda cuda;
    private final Worker[] workers;
    private final AtomicInteger next = new AtomicInteger();
    private volatile boolean closed;

    /**
     * @param name thread name prefix
     * @param streams workers (streams per device)
     */
    public CudaCopier(Cuda cuda, String name, int streams) {
        this.cuda = cuda;
        this.workers = new Worker[Math.max(1, streams)];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(name + "-" + i);
            workers[i].thread.start();
        }
    }

    /** Streams in the pool. */
    public int streams() {
        return workers.length;
    }

    /**
     * Copies {@code length} bytes from {@code src} to {@code dst} (device or host addresses; unified
     * addressing) in device {@code ordinal}'s context for one slice of {@code task}, then releases
     * {@code hold} (may be {@code null}) and ends the slice.
     */
    public void copy(TransferTask task, int ordinal, long dst, long src, int length, Hold hold) {
        if (closed) {
            end(task, hold, FailureKind.LOCAL, "the GPU copy pool is closed");
            return;
        }
        workers[Math.floorMod(next.getAndIncrement(), workers.length)].enqueue(task, ordinal, dst, src, length, hold);
    }

    private static void end(TransferTask task, Hold hold, FailureKind kind, String reason) {
        if (hold != null) {
            hold.release();
        }
        task.sliceFailed(kind, reason);
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) {
            w.stop();
        }
    }

    private final class Worker implements Runnable {
        final Thread thread;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition ready = lock.newCondition();
        private TransferTask[] tasks = new TransferTask[64];
        private int[] ordinals = new int[64];
        private long[] dsts = new long[64];
        private long[] srcs = new long[64];
        private int[] lengths = new int[64];
        private Hold[] holds = new Hold[64];
        private int head;
        private int size;
        private boolean stopping;
        private final Pointer[] streams = new Pointer[64];

        Worker(String name) {
            thread = new Thread(this, name);
            thread.setDaemon(true);
        }

        void enqueue(TransferTask task, int ordinal, long dst, long src, int length, Hold hold) {
            lock.lock();
            try {
                if (stopping) {
                    end(task, hold, FailureKind.LOCAL, "the GPU copy pool is closed");
                    return;
                }
                if (size == tasks.length) {
                    grow();
                }
                int i = (head + size) % tasks.length;
                tasks[i] = task;
                ordinals[i] = ordinal;
                dsts[i] = dst;
                srcs[i] = src;
                lengths[i] = length;
                holds[i] = hold;
                size++;
                ready.signal();
            } finally {
                lock.unlock();
            }
        }

        private void grow() {
            int n = tasks.length * 2;
            TransferTask[] t = new TransferTask[n];
            int[] o = new int[n];
            long[] d = new long[n];
            long[] s = new long[n];
            int[] l = new int[n];
            Hold[] h = new Hold[n];
            for (int k = 0; k < size; k++) {
                int i = (head + k) % tasks.length;
                t[k] = tasks[i];
                o[k] = ordinals[i];
                d[k] = dsts[i];
                s[k] = srcs[i];
                l[k] = lengths[i];
                h[k] = holds[i];
            }
            tasks = t;
            ordinals = o;
            dsts = d;
            srcs = s;
            lengths = l;
            holds = h;
            head = 0;
        }

        void stop() {
            lock.lock();
            try {
                stopping = true;
                ready.signal();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void run() {
            for (;;) {
                TransferTask task;
                int ordinal;
                long dst;
                long src;
                int length;
                Hold hold;
                lock.lock();
                try {
                    while (size == 0 && !stopping) {
                        ready.awaitUninterruptibly();
                    }
                    if (size == 0) {
                        return;
                    }
                    int i = head;
                    task = tasks[i];
                    ordinal = ordinals[i];
                    dst = dsts[i];
                    src = srcs[i];
                    length = lengths[i];
                    hold = holds[i];
                    tasks[i] = null;
                    holds[i] = null;
                    head = (head + 1) % tasks.length;
                    size--;
                } finally {
                    lock.unlock();
                }
                if (stopping) {
                    end(task, hold, FailureKind.LOCAL, "the GPU copy pool closed before this slice was copied");
                    continue;
                }
                run(task, ordinal, dst, src, length, hold);
            }
        }

        private void run(TransferTask task, int ordinal, long dst, long src, int length, Hold hold) {
            if (task.isDone()) {
                end(task, hold, FailureKind.CANCELED, "ended before it was copied");
                return;
            }
            if (hold != null && !hold.valid()) {
                end(task, hold, FailureKind.CONNECTION, "the memory of '" + task.target().segmentName()
                        + "' is gone: its owner unregistered it or exited");
                return;
            }
            try {
                Pointer stream = streams[ordinal];
                cuda.bind(ordinal);
                if (stream == null) {
                    stream = cuda.createStream(ordinal);
                    streams[ordinal] = stream;
                }
                cuda.copyAsync(dst, src, length, stream);
                cuda.synchronize(stream);
            } catch (RuntimeException e) {
                log.debug("GPU copy failed", e);
                end(task, hold, FailureKind.LOCAL, e.getMessage());
                return;
            }
            if (hold != null) {
                hold.release();
            }
            task.sliceCompleted(length);
        }
    }
}
