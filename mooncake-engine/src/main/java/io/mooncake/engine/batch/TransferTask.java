package io.mooncake.engine.batch;

import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.api.TransferStatus;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.stats.FailureKind;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One submitted request while it runs: its fields, its slices, its counters and its state.
 *
 * <p>This is the one slicer and the one completion path every transport shares. The engine
 * {@link #plan plans} an attempt (cuts the request into {@link #sliceCount()} slices of at most
 * the transport's slice size) and hands the task to a transport, which posts the slices and ends
 * each exactly once through {@link #sliceCompleted(long)} or {@link #sliceFailed(FailureKind, String)}.
 * The state moves from PENDING to exactly one terminal state by compare-and-set, so a slice that
 * ends after a TIMEOUT or CANCELED changes nothing.
 *
 * <p>Fallback: when a slice fails for a reason another transport might not have (a lost
 * connection, a transport that cannot carry it) and the engine set a {@link TaskRouter}, the task
 * does not end at once: when every slice of the attempt has ended, the router hands it to the
 * next transport (a new attempt) or ends it FAILED. Other failures (the peer rejected the range)
 * end the task at once. Nothing here allocates per slice. Thread-safe.
 */
public final class TransferTask {

    private static final VarHandle STATE;
    private static final VarHandle REMAINING;
    private static final VarHandle TRANSFERRED;
    private static final VarHandle HOLDS;
    private static final VarHandle ATTEMPT_FAILURE;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(TransferTask.class, "state", int.class);
            REMAINING = l.findVarHandle(TransferTask.class, "remaining", int.class);
            TRANSFERRED = l.findVarHandle(TransferTask.class, "transferred", long.class);
            HOLDS = l.findVarHandle(TransferTask.class, "holds", int.class);
            ATTEMPT_FAILURE = l.findVarHandle(TransferTask.class, "attemptFailure", FailureKind.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final int PENDING = TransferState.PENDING.ordinal();
    private static final TransferState[] STATES = TransferState.values();

    private final BatchImpl batch;
    private final int index;
    // Not final only for the staging path's reusable child tasks (see restage); set before a
    // transport sees the task, which publishes them through its own queue.
    private OpCode opCode;
    private long source;
    private long targetAddress;
    private long length;
    private RemoteTarget target;
    private final long submittedNanos;
    /** Staging children only: told when every slice of the child ended (its memory is free again). */
    private final Runnable whenReleased;
    /** Staging parents only: the next slice to stage (guarded by the Staging pool's lock). */
    int stageNext;
    /** Staging parents only: the host-only path carrying the staged slices, and its slice size. */
    volatile Staging.Path stagedPath;
    int stagedSliceSize;
    private volatile String protocol;
    private BufferDescriptor remoteBuffer;
    private volatile TaskRouter router;
    private int sliceSize;
    private int sliceCount;
    private int attempts;

    @SuppressWarnings("unused") // VarHandle
    private volatile int state = PENDING;
    @SuppressWarnings("unused") // VarHandle
    private volatile int remaining;
    @SuppressWarnings("unused") // VarHandle
    private volatile long transferred;
    private volatile String failureReason;
    private volatile FailureKind failureKind = FailureKind.NONE;
    /** The first retryable failure of the running attempt, or {@code null}. */
    @SuppressWarnings("unused") // VarHandle
    private volatile FailureKind attemptFailure;
    private volatile String attemptReason;
    /** Uses of local memory still possible: the submission itself plus every slice not yet ended. */
    @SuppressWarnings("unused") // VarHandle
    private volatile int holds = 1;
    private volatile Region localRegion;
    /** Which transport (if any) holds the task's slices now, for cancellation; set by the engine. */
    private volatile Object carrier;

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
        this.whenReleased = null;
    }

    /** A staging child: reused for one slice at a time, reporting to {@code whenReleased}, not to a batch. */
    TransferTask(Runnable whenReleased) {
        this.batch = null;
        this.index = -1;
        this.submittedNanos = 0;
        this.whenReleased = whenReleased;
        this.holds = 0;
    }

    /**
     * Makes a staging child (whose previous use ended: every slice ended and its memory was
     * released) carry a new host-memory request. Engine use.
     */
    void restage(OpCode op, long source, long targetAddress, long length, RemoteTarget target,
            BufferDescriptor remoteBuffer) {
        this.opCode = op;
        this.source = source;
        this.targetAddress = targetAddress;
        this.length = length;
        this.target = target;
        this.remoteBuffer = remoteBuffer;
        this.router = null;
        this.carrier = null;
        this.attempts = 0;
        this.failureReason = null;
        this.failureKind = FailureKind.NONE;
        HOLDS.setVolatile(this, 1);
        STATE.setVolatile(this, PENDING);
    }

    /** The host-only path a staged task's slices go to ({@code null} when not staged). */
    public Staging.Path stagedPath() {
        return stagedPath;
    }

    public OpCode opCode() {
        return opCode;
    }

    /** Local address. */
    public long source() {
        return source;
    }

    /** Remote address (absolute, in the target process; a device offset for cxl-shaped targets). */
    public long targetAddress() {
        return targetAddress;
    }

    public long length() {
        return length;
    }

    public RemoteTarget target() {
        return target;
    }

    /** The transport carrying the task now (the last one, once it ended). */
    public String protocol() {
        return protocol;
    }

    public int index() {
        return index;
    }

    /**
     * Whether this is the last request of its batch as submitted so far (no later one had been
     * reserved when it was dispatched): its submitter goes on to wait or to other work next, so a
     * transport may finish a short copy for it on the submitting thread.
     */
    public boolean lastOfBatch() {
        return index == batch.size() - 1;
    }

    long submittedNanos() {
        return submittedNanos;
    }

    /** The local region the request reads from or writes to (held until every slice ended), or {@code null} for 0 bytes. */
    public Region localRegion() {
        return localRegion;
    }

    /** The target's published buffer that holds the remote range, or {@code null} for the local segment. */
    public BufferDescriptor remoteBuffer() {
        return remoteBuffer;
    }

    /** Set by the engine once it found the buffer the remote range lies in. */
    public void remoteBuffer(BufferDescriptor buffer) {
        this.remoteBuffer = buffer;
    }

    /** How many attempts were planned (1 unless the task fell back to another transport). */
    public int attempts() {
        return attempts;
    }

    // ---- slicing (called by the engine before it hands the task to a transport)

    /**
     * Starts an attempt on {@code transport}: cuts the request into slices of at most
     * {@code maxSliceBytes} and expects each to end once. Called by the engine only, before the
     * transport sees the task, and again for a fallback attempt after every slice of the previous
     * one has ended.
     */
    public void plan(String transport, int maxSliceBytes, TaskRouter fallback) {
        if (maxSliceBytes <= 0) {
            throw new IllegalArgumentException("slice size must be > 0: " + maxSliceBytes);
        }
        long count = length == 0 ? 1 : (length + maxSliceBytes - 1) / maxSliceBytes;
        if (count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(length + " bytes in slices of " + maxSliceBytes + " is too many slices");
        }
        this.protocol = transport;
        this.router = fallback;
        this.sliceSize = maxSliceBytes;
        this.sliceCount = (int) count;
        this.attempts++;
        ATTEMPT_FAILURE.setVolatile(this, (FailureKind) null);
        attemptReason = null;
        TRANSFERRED.setVolatile(this, 0L);
        REMAINING.setVolatile(this, sliceCount);
        HOLDS.getAndAdd(this, sliceCount);
    }

    /** Slices of the current attempt. */
    public int sliceCount() {
        return sliceCount;
    }

    /** Offset of slice {@code k} from the start of the request. */
    public long sliceOffset(int k) {
        return (long) k * sliceSize;
    }

    /** Bytes of slice {@code k}. */
    public int sliceLength(int k) {
        long off = (long) k * sliceSize;
        return (int) Math.min(sliceSize, length - off);
    }

    /** Which transport-private object carries the slices now (for cancellation); engine use. */
    public Object carrier() {
        return carrier;
    }

    /** Records the object carrying the slices; engine use. */
    public void carrier(Object c) {
        this.carrier = c;
    }

    // ---- completion (called by transports, once per slice)

    /** One slice of {@code bytes} ended well; the last one completes the attempt. */
    public void sliceCompleted(long bytes) {
        TRANSFERRED.getAndAdd(this, bytes);
        if ((int) REMAINING.getAndAdd(this, -1) == 1) {
            attemptEnded();
        }
        releaseOne();
    }

    /** One slice failed on the connection; see {@link #sliceFailed(FailureKind, String)}. */
    public void sliceFailed(String reason) {
        sliceFailed(FailureKind.CONNECTION, reason);
    }

    /**
     * One slice failed for {@code kind}. A failure another transport might not have
     * ({@link #retryable(FailureKind)}) waits for the attempt's other slices and goes to the
     * router; any other ends the task FAILED at once (unless it already ended).
     */
    public void sliceFailed(FailureKind kind, String reason) {
        if (router != null && retryable(kind) && !isDone()) {
            if (ATTEMPT_FAILURE.compareAndSet(this, (FailureKind) null, kind)) {
                attemptReason = reason;
            }
        } else {
            finish(TransferState.FAILED, kind, reason);
        }
        if ((int) REMAINING.getAndAdd(this, -1) == 1) {
            attemptEnded();
        }
        releaseOne();
    }

    /** Whether a failure of this kind may not happen on another transport (worth a fallback attempt). */
    public static boolean retryable(FailureKind kind) {
        return kind == FailureKind.CONNECTION || kind == FailureKind.NO_TRANSPORT || kind == FailureKind.LOCAL;
    }

    private void attemptEnded() {
        FailureKind f = (FailureKind) ATTEMPT_FAILURE.getVolatile(this);
        if (f == null) {
            finish(TransferState.COMPLETED, null);
            return;
        }
        TaskRouter r = router;
        if (r == null || isDone()) {
            finish(TransferState.FAILED, f, attemptReason);
            return;
        }
        // Keep the local memory held across the hand-over to the next attempt.
        HOLDS.getAndAdd(this, 1);
        try {
            r.attemptFailed(this, f, attemptReason);
        } catch (RuntimeException e) {
            finish(TransferState.FAILED, f, attemptReason + " (and the fallback failed: " + e + ")");
        } finally {
            releaseOne();
        }
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
            Runnable w = whenReleased;
            if (w != null) {
                w.run();
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
            if (batch != null) {
                batch.taskFinished(this, terminal);
            }
            return true;
        }
        return false;
    }
}
