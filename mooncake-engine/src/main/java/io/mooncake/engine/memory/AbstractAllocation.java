package io.mooncake.engine.memory;

import io.mooncake.engine.api.MooncakeException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bookkeeping every {@link Allocation} shares: where it is, how long, what kind, and freed once
 * however often it is closed. A subclass says how the memory goes back ({@link #free()});
 * {@link #of} covers memory freed by one call (host memory, a driver's allocations). Thread-safe.
 */
public abstract class AbstractAllocation implements Allocation {

    private static final Logger log = LoggerFactory.getLogger(AbstractAllocation.class);

    private final long address;
    private final long length;
    private final MemoryKind kind;
    private final AtomicBoolean closed = new AtomicBoolean();

    protected AbstractAllocation(long address, long length, MemoryKind kind) {
        this.address = address;
        this.length = length;
        this.kind = kind;
    }

    /**
     * Memory that {@code free} gives back, once; a refusal to free it ({@link MooncakeException}) is
     * logged, not thrown.
     *
     * @param what what the memory is ({@code cuda:0}, {@code pinned host memory}), for logs and
     *        {@link #toString()}
     */
    public static Allocation of(long address, long length, MemoryKind kind, String what, Runnable free) {
        return new AbstractAllocation(address, length, kind) {
            @Override
            protected void free() {
                try {
                    free.run();
                } catch (MooncakeException e) {
                    log.warn("Freeing {} at 0x{} failed: {}", what, Long.toHexString(address), e.getMessage());
                }
            }

            @Override
            public String toString() {
                return what + " at 0x" + Long.toHexString(address) + " (" + length + " bytes)";
            }
        };
    }

    @Override
    public final long address() {
        return address;
    }

    @Override
    public final long length() {
        return length;
    }

    @Override
    public final MemoryKind kind() {
        return kind;
    }

    /** Frees the memory the first time; later calls do nothing. */
    @Override
    public final void close() {
        if (closed.compareAndSet(false, true)) {
            free();
        }
    }

    /** Gives the memory back; called once. */
    protected abstract void free();
}
