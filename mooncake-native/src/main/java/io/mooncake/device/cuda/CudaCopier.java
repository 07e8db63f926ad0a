package io.mooncake.device.cuda;

import com.sun.jna.Pointer;
import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.memory.Hold;
import io.mooncake.engine.stats.FailureKind;
import io.mooncake.engine.transport.CopyWorker;
import io.mooncake.jna.cuda.Cuda;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies slices with {@code cuMemcpyAsync} on a small pool of streams: each of {@code streams}
 * workers owns one non-blocking stream per device, takes slices from its own queue, issues the
 * copy and waits for its stream ({@code cuStreamSynchronize}) before ending the slice, so up to
 * {@code streams} copies run on the copy engines at once. Slices of a task that already ended
 * (deadline, cancel) and were not issued yet end at once without a copy; an issued copy cannot be
 * recalled, and its slice ends when the GPU finishes it; after {@link #close()} queued slices end
 * without a copy. Each worker is a {@link CopyWorker} (its queue grows by doubling), so nothing is
 * allocated per slice. Thread-safe.
 */
public final class CudaCopier implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CudaCopier.class);

    private final Cuda cuda;
    private final CopyWorker[] workers;
    private final AtomicInteger next = new AtomicInteger();
    private volatile boolean closed;

    /**
     * @param name thread name prefix
     * @param streams workers (streams per device)
     */
    public CudaCopier(Cuda cuda, String name, int streams) {
        this.cuda = cuda;
        this.workers = new CopyWorker[Math.max(1, streams)];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = CopyWorker.start(name + "-" + i, new Streams());
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
        if (closed || !workers[Math.floorMod(next.getAndIncrement(), workers.length)].offer(task, ordinal, src, dst,
                length, hold)) {
            end(task, hold, FailureKind.LOCAL, "the GPU copy pool is closed");
        }
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
        for (CopyWorker w : workers) {
            w.close();
        }
    }

    /** One worker's streams (one per device, made on first use) and its copy. */
    private final class Streams implements CopyWorker.Copy {
        private final Pointer[] streams = new Pointer[64];

        @Override
        public void copy(TransferTask task, int ordinal, long src, long dst, int length, Hold hold) {
            if (closed) {
                end(task, hold, FailureKind.LOCAL, "the GPU copy pool closed before this slice was copied");
                return;
            }
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
