package io.mooncake.transport.efa;

import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.stats.FailureKind;
import io.mooncake.engine.transport.SliceRing;
import io.mooncake.jna.fabric.FabricAbi;
import io.mooncake.jna.fabric.OpContexts;
import io.mooncake.jna.fabric.RdmEndpoint;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One local device: its libfabric endpoint, the operations in flight on it (at most
 * {@link #maxWr}, one {@link OpContexts} slot each, and at most {@link #WINDOW_BYTES}) and a backlog of slices waiting for a slot
 * or for the provider to accept them ({@code -FI_EAGAIN}).
 *
 * <p>Threading: any thread may {@link #enqueue}; posting and completion handling run under one
 * lock per device, taken by the submitting thread when free ({@link #drain}) and by the polling
 * thread otherwise. Nothing is allocated per slice: the backlog is a {@link SliceRing} (grown,
 * doubling, only when a burst exceeds it) and the in-flight table holds {@link #maxWr} slots.
 */
final class EfaDevice implements RdmEndpoint.Completions, AutoCloseable {

    final int index;
    final String name;
    final RdmEndpoint endpoint;
    final int maxWr;
    private final OpContexts contexts;
    private final TransferTask[] slotTask;
    private final int[] slotLength;
    private final long[] slotPeer;
    private final ReentrantLock lock = new ReentrantLock();
    private final Failures failures;

    /** Slices not posted yet, guarded by lock; fields below. */
    private final SliceRing<Void> backlog = new SliceRing<>(5, 2, 1024);
    private static final int LOCAL = 0;
    private static final int DESC = 1;
    private static final int PEER = 2;
    private static final int REMOTE = 3;
    private static final int KEY = 4;
    private static final int LENGTH = 0;
    /** 1 for fi_write, 0 for fi_read. */
    private static final int WRITE = 1;

    private int inFlight;
    private long inFlightBytes;
    /**
     * Bytes in flight per device at most (one operation may exceed it alone). Without a window a
     * whole batch goes out at once and providers that progress many operations together (tcp, shm)
     * finish the first request about when they finish the last; a window keeps requests finishing
     * in order and a dying peer with little in flight, at no cost in bandwidth (it is far above
     * the bandwidth-delay product of EFA and of loopback).
     */
    static final long WINDOW_BYTES = 32L << 20;
    final AtomicLong posted = new AtomicLong();
    final AtomicLong completed = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong eagain = new AtomicLong();
    private final RdmEndpoint.PollBuffer submitterPoll = new RdmEndpoint.PollBuffer(64);
    /** Arguments of fi_write/fi_read in native memory, reused under the lock. */
    private final io.mooncake.jna.verbs.FfiCall.Frame postFrame = RdmEndpoint.postFrame();

    /** Told about failed operations, to judge the peer. */
    interface Failures {
        void failed(EfaDevice device, long peer, int error, String text);
    }

    EfaDevice(int index, String name, RdmEndpoint endpoint, int maxWr, Failures failures) {
        this.index = index;
        this.name = name;
        this.endpoint = endpoint;
        this.maxWr = maxWr;
        this.contexts = new OpContexts(maxWr);
        this.slotTask = new TransferTask[maxWr];
        this.slotLength = new int[maxWr];
        this.slotPeer = new long[maxWr];
        this.failures = failures;
    }

    /** Takes the device for a run of {@link #enqueue} calls (one lock per task, not per slice). */
    void lockForEnqueue() {
        lock.lock();
    }

    void unlockAfterEnqueue() {
        lock.unlock();
    }

    /** Queues one slice; the caller holds {@link #lockForEnqueue}. */
    void enqueue(TransferTask task, long local, int length, long desc, long peer, long remote, long key, boolean write) {
        int s = backlog.add(task, null);
        backlog.setLong(s, LOCAL, local);
        backlog.setLong(s, DESC, desc);
        backlog.setLong(s, PEER, peer);
        backlog.setLong(s, REMOTE, remote);
        backlog.setLong(s, KEY, key);
        backlog.setInt(s, LENGTH, length);
        backlog.setInt(s, WRITE, write ? 1 : 0);
    }

    /**
     * Posts queued slices while slots are free and the provider accepts them. Returns whether
     * anything is still queued or in flight (the poller keeps spinning while so).
     */
    boolean drain() {
        if (!lock.tryLock()) {
            return true;
        }
        try {
            return drainLocked();
        } finally {
            lock.unlock();
        }
    }

    /** Polls the completion queue once (progress) and posts; returns whether work remains or anything happened. */
    boolean poll(RdmEndpoint.PollBuffer buffer) {
        lock.lock();
        try {
            int n = endpoint.poll(buffer, this);
            boolean busy = drainLocked();
            return busy || n > 0;
        } finally {
            lock.unlock();
        }
    }

    /** A submitting thread's poll: does the same as the poller when the lock is free. */
    void pollFromSubmitter() {
        if (lock.tryLock()) {
            try {
                endpoint.poll(submitterPoll, this);
                drainLocked();
            } finally {
                lock.unlock();
            }
        }
    }

    private boolean drainLocked() {
        while (!backlog.isEmpty()) {
            int i = backlog.first();
            TransferTask task = backlog.task(i);
            if (task.isDone()) {
                // ended (deadline, cancel): this slice was never posted, end it without moving bytes
                backlog.removeFirst();
                task.sliceFailed(FailureKind.of(task.state()), "the request ended before this slice was sent");
                continue;
            }
            int length = backlog.getInt(i, LENGTH);
            if (inFlight > 0 && inFlightBytes + length > WINDOW_BYTES) {
                break;
            }
            int slot = contexts.acquire();
            if (slot < 0) {
                break;
            }
            boolean write = backlog.getInt(i, WRITE) != 0;
            long peer = backlog.getLong(i, PEER);
            long ctx = contexts.address(slot);
            long rc = endpoint.post(postFrame, write, backlog.getLong(i, LOCAL), length, backlog.getLong(i, DESC), peer,
                    backlog.getLong(i, REMOTE), backlog.getLong(i, KEY), ctx);
            if (rc == -FabricAbi.FI_EAGAIN) {
                contexts.release(slot);
                eagain.incrementAndGet();
                break;
            }
            backlog.removeFirst();
            if (rc != 0) {
                contexts.release(slot);
                failed.incrementAndGet();
                String text = (write ? "fi_write" : "fi_read") + " on " + name + " failed: " + rc + " "
                        + endpoint.strerror(rc);
                failures.failed(this, peer, (int) -rc, text);
                task.sliceFailed(FailureKind.CONNECTION, text);
                continue;
            }
            slotTask[slot] = task;
            slotLength[slot] = length;
            slotPeer[slot] = peer;
            inFlight++;
            inFlightBytes += length;
            posted.incrementAndGet();
        }
        return !backlog.isEmpty() || inFlight > 0;
    }

    /** Ends the queued (never posted) slices of {@code task}; posted ones end when the provider reports them. */
    int dropQueued(TransferTask task, FailureKind kind, String reason) {
        int dropped;
        lock.lock();
        try {
            dropped = backlog.removeTask(task);
        } finally {
            lock.unlock();
        }
        for (int k = 0; k < dropped; k++) {
            task.sliceFailed(kind, reason);
        }
        return dropped;
    }

    @Override
    public void completed(long context, long length) {
        int slot = contexts.slotOf(context);
        if (slot < 0) {
            return;
        }
        TransferTask task = slotTask[slot];
        int len = slotLength[slot];
        slotTask[slot] = null;
        contexts.release(slot);
        inFlight--;
        inFlightBytes -= len;
        completed.incrementAndGet();
        task.sliceCompleted(len);
    }

    @Override
    public void failed(long context, int error, int providerError, String text) {
        int slot = contexts.slotOf(context);
        if (slot < 0) {
            return;
        }
        TransferTask task = slotTask[slot];
        long peer = slotPeer[slot];
        slotTask[slot] = null;
        contexts.release(slot);
        inFlight--;
        inFlightBytes -= slotLength[slot];
        failed.incrementAndGet();
        String reason = "libfabric completion on " + name + ": " + text + " (error " + error + ", provider error "
                + providerError + ")";
        failures.failed(this, peer, error, reason);
        task.sliceFailed(kindOf(error), reason);
    }

    /** A rejected key or range is the peer's refusal; anything else is the path. */
    static FailureKind kindOf(int error) {
        return switch (error) {
            case 13, 14, 22, 1 -> FailureKind.PEER_REJECTED; // EACCES, EFAULT, EINVAL, EPERM
            default -> FailureKind.CONNECTION;
        };
    }

    int queued() {
        return backlog.size();
    }

    int inFlight() {
        return inFlight;
    }

    /** Fails what is queued; closes the endpoint (in-flight operations end with it). */
    @Override
    public void close() {
        lock.lock();
        try {
            // Close first: once the endpoint is gone no operation touches memory any more.
            endpoint.close();
            while (!backlog.isEmpty()) {
                TransferTask t = backlog.task(backlog.first());
                backlog.removeFirst();
                t.sliceFailed(FailureKind.CONNECTION, "efa transport closed");
            }
            for (int s = 0; s < slotTask.length; s++) {
                TransferTask t = slotTask[s];
                if (t != null) {
                    slotTask[s] = null;
                    t.sliceFailed(FailureKind.CONNECTION, "efa transport closed with the operation in flight");
                }
            }
            contexts.close();
            submitterPoll.close();
        } finally {
            lock.unlock();
        }
    }
}
