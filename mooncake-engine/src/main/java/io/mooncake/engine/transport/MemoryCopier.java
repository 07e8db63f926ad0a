package io.mooncake.engine.transport;

import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.memory.Hold;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.stats.FailureKind;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Copies slices between host addresses for the memory transports (same process, shared memory,
 * CXL): small slices on the submitting thread (a hand-off costs more than the copy), larger ones
 * on a few copy threads, so a submit never blocks its caller on a large copy. One exception: a
 * request of a single slice up to {@link #CALLER_BYTES} that ends its batch, submitted while the
 * copy threads have nothing to do, is copied on the submitting thread too: its caller waits for it
 * next, and handing it off would add two thread wake-ups (the copy thread's, then the caller's) to
 * a copy of tens of microseconds; batches still spread over the copy threads. Each slice ends
 * exactly once, and the {@link Hold} that keeps its memory mapped is released right after its
 * copy. Each copy thread is a {@link CopyWorker} (its queue a {@link SliceRing}): nothing is
 * allocated per slice. After {@link #close()} every slice is copied on its submitting thread, and
 * the copy threads finish what was queued. Thread-safe.
 */
public final class MemoryCopier implements AutoCloseable {

    /** The largest lone request copied on its submitting thread when the copy threads are idle. */
    public static final int CALLER_BYTES = 1 << 20;

    private final int inlineBytes;
    private final CopyWorker[] workers;
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
        this.workers = new CopyWorker[Math.max(1, threads)];
        CopyWorker.Copy copy = (task, device, from, to, length, hold) -> run(task, from, to, length, hold, queued);
        for (int i = 0; i < workers.length; i++) {
            workers[i] = CopyWorker.start(name + "-" + i, copy);
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
        CopyWorker w = workers[Math.floorMod(next.getAndIncrement(), workers.length)];
        if (!w.offer(task, 0, from, to, length, hold)) {
            // closed since the check above: copy here, as after close
            run(task, from, to, length, hold, queued);
        }
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
        for (CopyWorker w : workers) {
            w.close();
        }
    }
}
