package io.mooncake.transport.rdma;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/** Counts how each slice ended, and any slice that ended twice. Allocates nothing on success. */
final class SliceTracker implements SliceListener {

    final int slices;
    final AtomicIntegerArray ends;
    final AtomicInteger completed = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();
    final AtomicInteger duplicates = new AtomicInteger();
    final ConcurrentLinkedQueue<String> reasons = new ConcurrentLinkedQueue<>();

    SliceTracker(int slices) {
        this.slices = slices;
        this.ends = new AtomicIntegerArray(slices);
    }

    @Override
    public void sliceCompleted(int slice, int bytes) {
        if (ends.getAndIncrement(slice) != 0) {
            duplicates.incrementAndGet();
        }
        completed.incrementAndGet();
    }

    @Override
    public void sliceFailed(int slice, boolean peerRejected, String reason) {
        if (ends.getAndIncrement(slice) != 0) {
            duplicates.incrementAndGet();
        }
        reasons.add(reason);
        failed.incrementAndGet();
    }

    boolean ended() {
        return completed.get() + failed.get() >= slices;
    }
}
