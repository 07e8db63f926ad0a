package io.mooncake.engine.batch;

import io.mooncake.engine.api.Batch;
import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.api.TransferStatus;
import io.mooncake.engine.stats.TransferListener;
import io.mooncake.engine.metadata.RemoteTarget;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A batch of at most {@code capacity} tasks with one completion future and one deadline.
 *
 * <p>The future completes when the batch is full and every task has ended; tasks are added only
 * by the submitting thread(s) through {@link #add}, and end on transport or timer threads.
 * Thread-safe.
 */
public final class BatchImpl implements Batch {

    private static final long SPIN_NANOS = Long.getLong("mooncake.await.spinMicros", 50) * 1000;
    private static final int SMALL_BATCH_REQUESTS = 4;
    private static final long SMALL_BATCH_BYTES = 256 * 1024;

    private final long id;
    private final TransferTask[] tasks;
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicInteger unfinished = new AtomicInteger();
    private final CompletableFuture<BatchResult> completion = new CompletableFuture<>();
    private final TransferListener listener;
    private final Deadlines deadlines;
    private final Duration timeout;
    private final java.util.function.BiConsumer<TransferTask, CancelCause> onAbandoned;
    private volatile Deadlines.Deadline deadline;
    private volatile Duration effectiveTimeout;

    /**
     * @param onAbandoned told about each task that ended before its slices did (the deadline passed,
     *     the caller canceled or stopped waiting) and why, so its transport can abandon the task's
     *     slices (and release the memory they hold)
     */
    public BatchImpl(long id, int capacity, TransferListener listener, Deadlines deadlines, Duration timeout,
            java.util.function.BiConsumer<TransferTask, CancelCause> onAbandoned) {
        if (capacity <= 0) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                    "invalid batch size " + capacity + "; a batch holds at least 1 request");
        }
        this.id = id;
        this.tasks = new TransferTask[capacity];
        this.listener = listener;
        this.deadlines = deadlines;
        this.timeout = timeout;
        this.onAbandoned = onAbandoned;
    }

    @Override
    public long id() {
        return id;
    }

    public int capacity() {
        return tasks.length;
    }

    @Override
    public int size() {
        return size.get();
    }

    /**
     * Reserves {@code count} task slots; throws TOO_MANY_REQUESTS when the batch would overflow. The
     * first reservation starts the deadline: the transfer timeout plus 1 ns per byte of
     * {@code bytes} (as the reference's synchronous calls), so large batches are not cut short.
     */
    public int reserve(int count, long bytes) {
        for (;;) {
            int cur = size.get();
            if (cur + count > tasks.length) {
                throw new MooncakeException(ErrorCode.TOO_MANY_REQUESTS, "batch " + id + " holds " + tasks.length
                        + " requests and already has " + cur + "; cannot add " + count
                        + "; allocate a larger batch or a new one");
            }
            if (size.compareAndSet(cur, cur + count)) {
                unfinished.addAndGet(count);
                if (deadline == null) {
                    effectiveTimeout = timeout.plusNanos(Math.max(0, bytes));
                    deadline = deadlines.expireAfter(this::expire, effectiveTimeout);
                }
                return cur;
            }
        }
    }

    /** Creates the task at a reserved index. */
    public TransferTask add(int index, OpCode op, long source, long targetAddress, long length, RemoteTarget target,
            String protocol) {
        TransferTask t = new TransferTask(this, index, op, source, targetAddress, length, target, protocol);
        tasks[index] = t;
        return t;
    }

    void taskFinished(TransferTask task, TransferState outcome) {
        listener.onTransfer(task.protocol(), task.target() == null ? "" : task.target().segmentName(),
                task.opCode(), task.length(), outcome, task.failureKind(), System.nanoTime() - task.submittedNanos());
        if (unfinished.decrementAndGet() == 0 && size.get() == tasks.length) {
            complete();
        }
    }

    private void complete() {
        Deadlines.Deadline d = deadline;
        if (d != null) {
            d.cancel();
        }
        TransferStatus[] statuses = new TransferStatus[tasks.length];
        for (int i = 0; i < tasks.length; i++) {
            statuses[i] = tasks[i].status();
        }
        completion.complete(new BatchResult(id, List.of(statuses)));
    }

    private void expire() {
        String reason = "no completion within " + effectiveTimeout.toMillis() + " ms (transferTimeout plus 1 ns "
                + "per byte); raise mooncake.transfer-timeout or check the peer and the network";
        endAll(TransferState.TIMEOUT, reason, CancelCause.DEADLINE);
    }

    private void endAll(TransferState state, String reason, CancelCause cause) {
        int n = size.get();
        boolean[] ended = new boolean[n];
        for (int i = 0; i < n; i++) {
            TransferTask t = tasks[i];
            ended[i] = t != null && t.finish(state, reason);
        }
        // Only once every task has its state: abandoning one task's slices (a transport closing the
        // connection they wait on) must not end a batch-mate FAILED before it was ended here.
        for (int i = 0; i < n; i++) {
            if (ended[i]) {
                onAbandoned.accept(tasks[i], cause);
            }
        }
    }

    @Override
    public TransferStatus status(int taskId) {
        if (taskId < 0 || taskId >= size.get() || tasks[taskId] == null) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "batch " + id + " has " + size.get()
                    + " requests; task id " + taskId + " does not exist");
        }
        return tasks[taskId].status();
    }

    /** The task at {@code index}. */
    public TransferTask task(int index) {
        return tasks[index];
    }

    /** Whether every submitted request has ended. */
    public boolean isIdle() {
        return unfinished.get() == 0;
    }

    private boolean isSmall() {
        int n = size.get();
        if (n > SMALL_BATCH_REQUESTS) {
            return false;
        }
        long bytes = 0;
        for (int i = 0; i < n; i++) {
            TransferTask t = tasks[i];
            bytes += t == null ? 0 : t.length();
        }
        return bytes <= SMALL_BATCH_BYTES;
    }

    @Override
    public CompletableFuture<BatchResult> completion() {
        return completion;
    }

    @Override
    public void cancel() {
        endAll(TransferState.CANCELED, "canceled by the caller", CancelCause.CALLER);
    }

    @Override
    public BatchResult await(Duration timeout) {
        // A small batch often ends within microseconds, sooner than a parked thread can be woken:
        // spin briefly first. Large batches park at once, leaving the CPU to the I/O threads.
        if (isSmall()) {
            long spinEnd = System.nanoTime() + SPIN_NANOS;
            while (!completion.isDone() && System.nanoTime() < spinEnd) {
                Thread.onSpinWait();
            }
        }
        try {
            return completion.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            endAll(TransferState.TIMEOUT, "caller stopped waiting after " + timeout.toMillis() + " ms",
                    CancelCause.CALLER);
            return completion.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            endAll(TransferState.CANCELED, "caller interrupted while waiting", CancelCause.CALLER);
            return completion.join();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }
}
