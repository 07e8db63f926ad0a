package io.mooncake.jna.fabric;

import com.sun.jna.Memory;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fixed pool of operation contexts in native memory: one slot per operation in flight, handed
 * to {@code fi_write}/{@code fi_read} as their {@code context} and returned by the completion
 * queue as {@code op_context}.
 *
 * <p>Each slot is {@link FabricAbi#SIZEOF_CONTEXT2} bytes, so it serves providers that demand
 * {@code FI_CONTEXT} (the efa provider does: it keeps its own state in the application's
 * {@code struct fi_context} until the operation completes) or {@code FI_CONTEXT2}. Acquiring and
 * releasing allocate nothing: the free slots form a lock-free stack whose head carries a tag
 * against ABA. Thread-safe.
 */
public final class OpContexts implements AutoCloseable {

    private static final long SLOT = FabricAbi.SIZEOF_CONTEXT2;

    private final Memory memory;
    private final long base;
    private final int capacity;
    private final int[] next;
    /** Low 32 bits: index of the first free slot, or -1; high 32 bits: a tag bumped on every change. */
    private final AtomicLong head;

    /**
     * @param capacity the most operations in flight at once
     */
    public OpContexts(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.capacity = capacity;
        this.memory = new Memory(capacity * SLOT);
        this.memory.clear();
        this.base = com.sun.jna.Pointer.nativeValue(memory);
        this.next = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            next[i] = i + 1 < capacity ? i + 1 : -1;
        }
        this.head = new AtomicLong(0L);
    }

    /** How many slots the pool has. */
    public int capacity() {
        return capacity;
    }

    /** A free slot, or -1 when every slot is in flight. */
    public int acquire() {
        while (true) {
            long h = head.get();
            int first = (int) h;
            if (first < 0) {
                return -1;
            }
            long tag = (h >>> 32) + 1;
            if (head.compareAndSet(h, (tag << 32) | (next[first] & 0xffffffffL))) {
                return first;
            }
        }
    }

    /** Returns a slot to the pool. */
    public void release(int slot) {
        check(slot);
        while (true) {
            long h = head.get();
            next[slot] = (int) h;
            long tag = (h >>> 32) + 1;
            if (head.compareAndSet(h, (tag << 32) | (slot & 0xffffffffL))) {
                return;
            }
        }
    }

    /** The native address of a slot, the value to pass as the operation's context. */
    public long address(int slot) {
        check(slot);
        return base + slot * SLOT;
    }

    /** The slot of a context address a completion returned, or -1 when it is not one of this pool's. */
    public int slotOf(long address) {
        long off = address - base;
        if (off < 0 || off >= capacity * SLOT || off % SLOT != 0) {
            return -1;
        }
        return (int) (off / SLOT);
    }

    private void check(int slot) {
        if (slot < 0 || slot >= capacity) {
            throw new IndexOutOfBoundsException("context slot " + slot + " outside [0, " + capacity + ")");
        }
    }

    @Override
    public void close() {
        memory.close();
    }
}
