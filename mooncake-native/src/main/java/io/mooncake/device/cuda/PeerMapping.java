package io.mooncake.device.cuda;

import io.mooncake.engine.memory.Hold;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One peer allocation mapped into this process ({@link PeerMappings}): its base here, held by every
 * copy that uses it and by the cache itself; unmapped ({@link #unmap()}) once, when the cache has
 * withdrawn it and the last copy released it. Thread-safe.
 */
public abstract class PeerMapping implements Hold {

    /** What a mapping is cached under: the peer segment, the handle it published, the local GPU. */
    public record Key(String segment, String handle, int ordinal) {
    }

    private final Key key;
    private final long base;
    private final AtomicInteger users = new AtomicInteger(1); // 1 = the cache's own reference
    private volatile boolean withdrawn;

    protected PeerMapping(Key key, long base) {
        this.key = key;
        this.base = base;
    }

    /** What it is cached under. */
    public final Key key() {
        return key;
    }

    /** The first byte of the peer allocation in this process. */
    public final long base() {
        return base;
    }

    /** Holds it for one more copy; false once it was unmapped (open it again). */
    public final boolean acquire() {
        for (;;) {
            int u = users.get();
            if (u == 0) {
                return false;
            }
            if (users.compareAndSet(u, u + 1)) {
                return true;
            }
        }
    }

    @Override
    public final void release() {
        if (users.decrementAndGet() == 0) {
            unmap();
        }
    }

    @Override
    public final boolean valid() {
        return !withdrawn;
    }

    /** Drops the cache's reference (once): unmapped now, or when the last copy releases it. */
    final void withdraw() {
        if (!withdrawn) {
            withdrawn = true;
            release();
        }
    }

    /** Undoes the mapping; called once, never throws (a driver's refusal is logged). */
    protected abstract void unmap();
}
