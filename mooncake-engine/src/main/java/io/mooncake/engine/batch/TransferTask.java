package io.mooncake.engine.batch;

import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.api.TransferStatus;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.stats.FailureKind;
import io.mooncake.engine.transport.RemoteTarget;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One submitted request while it runs: its fields, its slice counter and its state.
 *
 * <p>A transport calls {@link #expectSlices(int)} once before posting slices, then each slice
 * ends exactly once through {@link #sliceCompleted(long)} or {@link #sliceFailed(String)}. The
 * state moves from PENDING to exactly one terminal state by compare-and-set, so a slice that
 * completes after a TIMEOUT or CANCELED changes nothing. Thread-safe.
 */
public final class TransferTask {

    private static final VarHandle STATE;
    private static final VarHandle REMAINING;
    private static final VarHandle TRANSFERRED;
    private static final VarHandle HOLDS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(TransferTask.class, "state", int.class);
            REMAINING = l.findVarHandle(TransferTask.class, "remaining", int.class);
            TRANSFERRED = l.findVarHandle(TransferTask.class, "transferred", long.class);
            HOLDS = l.findVarHandle(TransferTask.class, "holds", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final int PENDING = TransferState.PENDING.ordinal();
    private static final TransferState[] STATES = TransferState.values();

    private final BatchImpl batch;
    private final int index;
    private final OpCode opCode;
    private final long source;
    private final long targetAddress;
    private final long length;
    private final RemoteTarget target;
    private final String protocol;
    private final long submittedNanos;

    @SuppressWarnings("unused") // VarHandle
    private volatile int state = PENDING;
    @SuppressWarnings("unused") // VarHandle
    private volatile int remaining;
    @SuppressWarnings("unused") // VarHandle
    private volatile long transferred;
    private volatile String failureReason;
    private volatile FailureKind failureKind = FailureKind.NONE;
    /** Uses of local memory still possible: the submission itself plus every slice not yet ended. */
    @SuppressWarnings("unused") // VarHandle
    private volatile int holds = 1;
    private volatile Region localRegion;

    TransferTask(BatchImpl batch, int index, OpCode opCode, long source, long targetAddress, long length,
            RemoteTarget target, String protocol) {
        this.batch = batch;
        this.index = index;
        this.opCode = opCode;
        this.source = source;
        this.targetAddress = targetAddress;
        this.length = length;
        this.target = target;
        this.protocol = protocol;
        this.submittedNanos = System.nanoTime();
    }

    public OpCode opCode() {
        return opCode;
    }

    /** Local address. */
    public long source() {
        return source;
    }

    /** Remote address (absolute, in the target process). */
    public long targetAddress() {
        return targetAddress;
    }

    public long length() {
        return length;
    }

    public RemoteTarget target() {
        return target;
    }

    public String protocol() {
        return protocol;
    }

    public int index() {
        return index;
    }

    long submittedNanos() {
        return submittedNanos;
    }

    /** Sets how many slices the transport will complete; call once, before posting any. */
    public void expectSlices(int count) {
        if (count <= 0) {
            throw new IllegalArgumentException("slice count must be > 0: " + count);
        }
        REMAINING.setVolatile(this, count);
        HOLDS.getAndAdd(this, count);
    }

    /** One slice of {@code bytes} ended well; the last one completes the task. */
    public void sliceCompleted(long bytes) {
        TRANSFERRED.getAndAdd(this, bytes);
        if ((int) REMAINING.getAndAdd(this, -1) == 1) {
            finish(TransferState.COMPLETED, null);
        }
        releaseOne();
    }

    /** One slice failed; the task ends FAILED with {@code reason} unless it already ended. */
    public void sliceFailed(String reason) {
        sliceFailed(FailureKind.CONNECTION, reason);
    }

    /** One slice failed for {@code kind}; the task ends FAILED with {@code reason} unless it already ended. */
    public void sliceFailed(FailureKind kind, String reason) {
        finish(TransferState.FAILED, kind, reason);
        releaseOne();
    }

    /**
     * Keeps {@code region} (the local memory of this request, acquired by the engine) from being
     * unregistered until every slice has ended - even slices still moving bytes after the task
     * ended TIMEOUT or CANCELED.
     */
    public void holdLocal(Region region) {
        localRegion = region;
    }

    /** The engine has handed the task to its transport: drops the submission's own hold. */
    public void submitted() {
        releaseOne();
    }

    private void releaseOne() {
        if ((int) HOLDS.getAndAdd(this, -1) == 1) {
            Region r = localRegion;
            if (r != null) {
                localRegion = null;
                r.release();
            }
        }
    }

    /** Whether the task has ended; transports skip slices of ended tasks that were not sent yet. */
    public boolean isDone() {
        return (int) STATE.getVolatile(this) != PENDING;
    }

    public TransferState state() {
        return STATES[(int) STATE.getVolatile(this)];
    }

    public TransferStatus status() {
        return new TransferStatus(state(), (long) TRANSFERRED.getVolatile(this), failureReason);
    }

    /** Why the task did not complete ({@link FailureKind#NONE} while pending or when it completed). */
    public FailureKind failureKind() {
        return failureKind;
    }

    /** Ends the task in {@code terminal} unless it already ended; returns whether this call ended it. */
    public boolean finish(TransferState terminal, String reason) {
        return finish(terminal, FailureKind.of(terminal), reason);
    }

    /**
     * Ends the task in {@code terminal}, for {@code kind}, unless it already ended; returns whether
     * this call ended it.
     */
    public boolean finish(TransferState terminal, FailureKind kind, String reason) {
        if (STATE.compareAndSet(this, PENDING, terminal.ordinal())) {
            if (terminal != TransferState.COMPLETED) {
                failureReason = reason;
                failureKind = kind;
            }
            batch.taskFinished(this, terminal);
            return true;
        }
        return false;
    }
}
