package io.mooncake.transport.efa;

import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.stats.FailureKind;
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
 * thread otherwise. Nothing is allocated per slice: the backlog and the in-flight table are
 * arrays, grown (doubling) only when a burst exceeds them.
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

    // backlog ring, guarded by lock
    private TransferTask[] qTask = new TransferTask[1024];
    private long[] qLocal = new long[1024];
    private int[] qLength = new int[1024];
    private long[] qDesc = new long[1024];
    private long[] qPeer = new long[1024];
    private long[] qRemote = new long[1024];
    private long[] qKey = new long[1024];
    private boolean[] qWrite = new boolean[1024];
    private int qHead;
    private int qSize;

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
        {
            if (qSize == qTask.length) {
                grow();
            }
            int i = (qHead + qSize) % qTask.length;
            qTask[i] = task;
            qLocal[i] = local;
            qLength[i] = length;
            qDesc[i] = desc;
            qPeer[i] = peer;
            qRemote[i] = remote;
            qKey[i] = key;
            qWrite[i] = write;
            qSize++;
        }
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
        while (qSize > 0) {
            int i = qHead;
            TransferTask task = qTask[i];
            if (task.isDone()) {
                // ended (deadline, cancel): this slice was never posted, end it without moving bytes
                pop();
                task.sliceFailed(FailureKind.of(task.state()), "the request ended before this slice was sent");
                continue;
            }
            if (inFlight > 0 && inFlightBytes + qLength[i] > WINDOW_BYTES) {
                break;
            }
            int slot = contexts.acquire();
            if (slot < 0) {
                break;
            }
            long ctx = contexts.address(slot);
            long rc = endpoint.post(postFrame, qWrite[i], qLocal[i], qLength[i], qDesc[i], qPeer[i], qRemote[i], qKey[i],
                    ctx);
            if (rc == -FabricAbi.FI_EAGAIN) {
                contexts.release(slot);
                eagain.incrementAndGet();
                break;
            }
            pop();
            if (rc != 0) {
                contexts.release(slot);
                failed.incrementAndGet();
                String text = (qWrite[i] ? "fi_write" : "fi_read") + " on " + name + " failed: " + rc + " "
                        + endpoint.strerror(rc);
                failures.failed(this, qPeer[i], (int) -rc, text);
                task.sliceFailed(FailureKind.CONNECTION, text);
                continue;
            }
            slotTask[slot] = task;
            slotLength[slot] = qLength[i];
            slotPeer[slot] = qPeer[i];
            inFlight++;
            inFlightBytes += qLength[i];
            posted.incrementAndGet();
        }
        return qSize > 0 || inFlight > 0;
    }

    private void pop() {
        qTask[qHead] = null;
        qHead = (qHead + 1) % qTask.length;
        qSize--;
    }

    /** Ends the queued (never posted) slices of {@code task}; posted ones end when the provider reports them. */
    int dropQueued(TransferTask task, FailureKind kind, String reason) {
        int dropped = 0;
        lock.lock();
        try {
            int n = qSize;
            for (int k = 0; k < n; k++) {
                int i = qHead;
                TransferTask t = qTask[i];
                long local = qLocal[i];
                int len = qLength[i];
                long desc = qDesc[i];
                long peer = qPeer[i];
                long remote = qRemote[i];
                long key = qKey[i];
                boolean write = qWrite[i];
                pop();
                if (t == task) {
                    dropped++;
                } else {
                    int j = (qHead + qSize) % qTask.length;
                    qTask[j] = t;
                    qLocal[j] = local;
                    qLength[j] = len;
                    qDesc[j] = desc;
                    qPeer[j] = peer;
                    qRemote[j] = remote;
                    qKey[j] = key;
                    qWrite[j] = write;
                    qSize++;
                }
            }
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
        return qSize;
    }

    int inFlight() {
        return inFlight;
    }

    private void grow() {
        int n = qTask.length * 2;
        TransferTask[] t = new TransferTask[n];
        long[] l = new long[n];
        int[] len = new int[n];
        long[] d = new long[n];
        long[] p = new long[n];
        long[] r = new long[n];
        long[] k = new long[n];
        boolean[] w = new boolean[n];
        for (int j = 0; j < qSize; j++) {
            int i = (qHead + j) % qTask.length;
            t[j] = qTask[i];
            l[j] = qLocal[i];
            len[j] = qLength[i];
            d[j] = qDesc[i];
            p[j] = qPeer[i];
            r[j] = qRemote[i];
            k[j] = qKey[i];
            w[j] = qWrite[i];
        }
        qTask = t;
        qLocal = l;
        qLength = len;
        qDesc = d;
        qPeer = p;
        qRemote = r;
        qKey = k;
        qWrite = w;
        qHead = 0;
    }

    /** Fails what is queued; closes the endpoint (in-flight operations end with it). */
    @Override
    public void close() {
        lock.lock();
        try {
            // Close first: once the endpoint is gone no operation touches memory any more.
            endpoint.close();
            while (qSize > 0) {
                TransferTask t = qTask[qHead];
                pop();
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
