package io.mooncake.engine.transport;

import io.mooncake.engine.memory.Hold;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Memory mapped from somewhere else (a peer's shared-memory file, a CXL device) that stays mapped
 * while anyone uses it: one reference for whoever caches it plus one per copy in flight, released
 * by {@link MemoryCopier} after each copy. The last {@link #release()} runs {@link #onLastRelease()}
 * (unmap, close); after that {@link #acquire()} fails, so a mapping is never used once it is gone.
 * Thread-safe.
 */
public abstract class CountedHold implements Hold {

    /** Uses plus one for the creator. */
    private final AtomicInteger refs = new AtomicInteger(1);

    /** A use (a copy about to start, another engine sharing it); {@code false} once it is released for good. */
    public final boolean acquire() {
        for (;;) {
            int r = refs.get();
            if (r <= 0) {
                return false;
            }
            if (refs.compareAndSet(r, r + 1)) {
                return true;
            }
        }
    }

    /** Whether it is still mapped (some reference is held). */
    public final boolean alive() {
        return refs.get() > 0;
    }

    /** Ends a use; the last one runs {@link #onLastRelease()}. */
    @Override
    public final void release() {
        if (refs.decrementAndGet() == 0) {
            onLastRelease();
        }
    }

    /** Unmaps and closes; runs once, on the thread of the last {@link #release()}. */
    protected abstract void onLastRelease();
}
