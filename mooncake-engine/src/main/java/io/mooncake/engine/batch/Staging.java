package io.mooncake.engine.batch;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.memory.DeviceMemoryAccess;
import io.mooncake.engine.memory.MemoryRegistry;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.stats.FailureKind;
import java.util.ArrayDeque;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bounce path for device memory on a transport that cannot touch it (tcp, shm, efa): a
 * bounded pool of pinned host units, each with one reusable child task.
 *
 * <p>The engine plans the device-memory request (the parent) in slices of one unit. Each slice
 * borrows a unit: for a WRITE a staging thread copies the slice device to host, then the unit's
 * child task (a host-memory request over the same target range) goes to the host-only path; for
 * a READ the child reads into the unit first and a staging thread copies host to device after.
 * The parent's slice ends when that is done, with the child's outcome (a retryable failure of the
 * child is a retryable failure of the parent's slice, so the engine's fallback still works). A
 * unit goes back to the pool only once every slice of its child has ended (its memory is no
 * longer touched). When every unit is lent, slices wait in line; a task that ended (deadline,
 * cancel) while waiting has its waiting slices ended at once, and its children in flight are
 * ended and their transport told. Nothing is allocated per slice: units, child tasks and the
 * staging threads' queue are made once. Thread-safe.
 */
public final class Staging implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Staging.class);
    private static final AtomicInteger POOLS = new AtomicInteger();

    /** Where staged slices go: a host-only transport, seen through this small view (batch knows no transport). */
    public interface Path {
        /** Its protocol name. */
        String protocol();

        /** Posts a planned host-memory task (see {@code Transport.submit}). */
        void submit(TransferTask task);

        /** Drops a task's slices (see {@code Transport.cancel}). */
        void cancel(TransferTask task, CancelCause cause);
    }

    private final DeviceMemoryAccess device;
    private final MemoryRegistry registry;
    private final int unitBytes;
    private final Unit[] units;
    private final Unit[] free;
    private int freeCount;
    private final ArrayDeque<TransferTask> waiting = new ArrayDeque<>();
    private final ThreadPoolExecutor copiers;
    private volatile boolean closed;

    /**
     * @param device the module that copies between device and host memory
     * @param registry the registry holding the pinned slab (registered local-only by the engine)
     * @param slab first byte of the pinned slab, {@code units * unitBytes} long
     * @param units how many units (slices in flight at once)
     * @param unitBytes bytes per unit (the parent's slice size)
     * @param threads staging threads (device copies)
     */
    public Staging(DeviceMemoryAccess device, MemoryRegistry registry, long slab, int units, int unitBytes,
            int threads) {
        if (units <= 0 || unitBytes <= 0 || threads <= 0) {
            throw new IllegalArgumentException("units, unitBytes and threads must be > 0: " + units + ", "
                    + unitBytes + ", " + threads);
        }
        this.device = device;
        this.registry = registry;
        this.unitBytes = unitBytes;
        this.units = new Unit[units];
        this.free = new Unit[units];
        for (int i = 0; i < units; i++) {
            this.units[i] = new Unit(slab + (long) i * unitBytes);
            free[i] = this.units[i];
        }
        freeCount = units;
        int n = POOLS.incrementAndGet();
        AtomicInteger threadNo = new AtomicInteger();
        copiers = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(units),
                r -> {
                    Thread t = new Thread(r, "mooncake-staging-" + n + "-" + threadNo.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        copiers.prestartAllCoreThreads();
    }

    /** The slice size of a staged request: one unit. */
    public int unitBytes() {
        return unitBytes;
    }

    /** Units lent now (for stats and tests). */
    public synchronized int unitsInUse() {
        return units.length - freeCount;
    }

    /** Units in all. */
    public int units() {
        return units.length;
    }

    /**
     * Starts a planned parent task (planned with slices of {@link #unitBytes()}) whose local memory
     * is device memory: its slices are staged as units become free and go to {@code path} in
     * slices of at most {@code pathSliceSize}. Must not block; does not.
     */
    public void submit(TransferTask parent, Path path, int pathSliceSize) {
        parent.stagedPath = path;
        parent.stagedSliceSize = pathSliceSize;
        synchronized (this) {
            parent.stageNext = 0;
            waiting.addLast(parent);
        }
        pump();
    }

    /**
     * The parent ended before its slices (deadline, cancel): slices still waiting for a unit end
     * now; children in flight end and their path drops them, so their units come back.
     */
    public void cancel(TransferTask parent, CancelCause cause) {
        int from;
        int to;
        synchronized (this) {
            waiting.remove(parent);
            from = parent.stageNext;
            to = parent.sliceCount();
            parent.stageNext = to;
        }
        failWaiting(parent, from, to);
        for (Unit u : units) {
            if (u.parent == parent && u.inPath) {
                TransferTask c = u.child;
                if (c.finish(TransferState.CANCELED, FailureKind.CANCELED, "the staged request ended")) {
                    Path p = parent.stagedPath;
                    if (p != null) {
                        p.cancel(c, cause);
                    }
                }
            }
        }
    }

    private static void failWaiting(TransferTask parent, int from, int to) {
        for (int k = from; k < to; k++) {
            parent.sliceFailed(FailureKind.CANCELED, "ended before it was staged");
        }
    }

    /** Lends free units to waiting slices, in order. */
    private void pump() {
        for (;;) {
            Unit u;
            TransferTask p;
            int k;
            int dropFrom = -1;
            int dropTo = -1;
            synchronized (this) {
                p = waiting.peekFirst();
                if (p == null) {
                    return;
                }
                if (p.isDone() || closed) {
                    waiting.pollFirst();
                    dropFrom = p.stageNext;
                    dropTo = p.sliceCount();
                    p.stageNext = dropTo;
                    u = null;
                    k = -1;
                } else {
                    if (freeCount == 0) {
                        return;
                    }
                    u = free[--freeCount];
                    k = p.stageNext++;
                    if (p.stageNext >= p.sliceCount()) {
                        waiting.pollFirst();
                    }
                }
            }
            if (u == null) {
                failWaiting(p, dropFrom, dropTo);
                continue;
            }
            u.assign(p, k);
            if (p.opCode() == OpCode.WRITE) {
                u.phase = Unit.COPY_OUT;
                copy(u);
            } else {
                u.submitChild();
            }
        }
    }

    /** Queues a unit's device copy; the queue holds every unit, so only a closed pool refuses. */
    private void copy(Unit u) {
        try {
            copiers.execute(u);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            u.parent.sliceFailed(FailureKind.LOCAL, "the engine is closing: the staging pool stopped");
            recycle(u);
        }
    }

    private void recycle(Unit u) {
        u.parent = null;
        synchronized (this) {
            free[freeCount++] = u;
        }
        pump();
    }

    @Override
    public void close() {
        closed = true;
        copiers.shutdown();
        try {
            if (!copiers.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("Staging threads still copying after 5 s; leaving them");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pump(); // ends waiting slices
    }

    /** One pinned unit and the child task that carries it. */
    private final class Unit implements Runnable {
        static final int COPY_OUT = 1;
        static final int COPY_IN = 2;

        final long address;
        final TransferTask child = new TransferTask(this::released);
        volatile TransferTask parent;
        volatile boolean inPath;
        int slice;
        long offset;
        int length;
        volatile int phase;

        Unit(long address) {
            this.address = address;
        }

        void assign(TransferTask p, int k) {
            parent = p;
            slice = k;
            offset = p.sliceOffset(k);
            length = p.sliceLength(k);
        }

        /** On a staging thread: the device copy of a slice. */
        @Override
        public void run() {
            TransferTask p = parent;
            if (p.isDone()) {
                p.sliceFailed(FailureKind.CANCELED, "ended before it was staged");
                recycle(this);
                return;
            }
            if (phase == COPY_OUT) {
                try {
                    device.copyToHost(address, p.source() + offset, length);
                } catch (MooncakeException | IllegalStateException e) {
                    p.sliceFailed(FailureKind.LOCAL, "copying " + length + " bytes of device memory to the "
                            + "staging unit failed: " + e.getMessage());
                    recycle(this);
                    return;
                }
                submitChild();
            } else {
                try {
                    device.copyToDevice(p.source() + offset, address, length);
                } catch (MooncakeException | IllegalStateException e) {
                    p.sliceFailed(FailureKind.LOCAL, "copying " + length + " staged bytes to device memory "
                            + "failed: " + e.getMessage());
                    recycle(this);
                    return;
                }
                p.sliceCompleted(length);
                recycle(this);
            }
        }

        /** Hands the unit's host request to the path. */
        void submitChild() {
            TransferTask p = parent;
            Path path = p.stagedPath;
            Region slab = registry.acquire(address, length, false);
            if (slab == null) {
                p.sliceFailed(FailureKind.LOCAL, "the staging pool was closed");
                recycle(this);
                return;
            }
            child.restage(p.opCode(), address, p.targetAddress() + offset, length, p.target(), p.remoteBuffer());
            child.holdLocal(slab);
            child.plan(path.protocol(), p.stagedSliceSize, null);
            child.carrier(path);
            inPath = true;
            try {
                path.submit(child);
            } catch (RuntimeException e) {
                child.finish(TransferState.FAILED, FailureKind.LOCAL, path.protocol() + " failed to submit: " + e);
                for (int k = 0; k < child.sliceCount(); k++) {
                    child.sliceFailed(FailureKind.LOCAL, "not submitted");
                }
            }
            child.submitted();
        }

        /** Every slice of the child ended and its memory was released (any thread; must not block). */
        private void released() {
            inPath = false;
            TransferTask p = parent;
            if (p == null) {
                return;
            }
            TransferState s = child.state();
            if (s == TransferState.COMPLETED) {
                if (p.opCode() == OpCode.READ) {
                    phase = COPY_IN;
                    copy(this);
                    return;
                }
                p.sliceCompleted(length);
            } else {
                FailureKind kind = child.failureKind();
                p.sliceFailed(kind == FailureKind.NONE ? FailureKind.LOCAL : kind, child.status().failureReason());
            }
            recycle(this);
        }
    }
}
