package io.mooncake.engine.memory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A direct {@link ByteBuffer} over a different native range for each slice, so socket reads and
 * writes go straight to registered memory without allocating per slice.
 *
 * <p>{@link #point} returns a buffer whose position and limit bound exactly the range asked for;
 * the position is not necessarily 0 and the buffer is not necessarily the one returned last time.
 * Use the returned buffer (or {@link #buffer()}) with relative operations only, and do not keep it
 * across calls to {@link #point} (a gather array must be refreshed after each call).
 *
 * <p>How it avoids allocating depends on the backend of {@link NativeMemory}:
 * <ul>
 * <li>JDK 17 to 21 ({@code Unsafe}): one buffer whose address and capacity are re-pointed at each
 * range.</li>
 * <li>JDK 22+ ({@code java.lang.foreign}): a buffer's address cannot be changed without
 * {@code Unsafe}, so the window keeps up to {@value #VIEWS} large views and sets position and limit
 * inside the one that holds the range. A view spans {@link NativeMemory#MAX_VIEW} bytes (just under
 * 2 GiB, the most a segment can wrap as a buffer) from the 1 GiB boundary at or below the first
 * address that needed it, so every range of up to 1 GiB starting in the same gigabyte hits the same
 * view (the tcp transport's windows are at most 1 GiB; one that starts in the last 8 bytes of a
 * gigabyte gets a view of its own): a window allocates only when it first reaches a gigabyte of the
 * address space, or a range that no view holds, or more
 * distinct gigabytes than it caches (then it replaces views round-robin). The window does not know
 * the registered regions, so a view may extend past them: a view is only an address and a
 * capacity, and nothing reads or writes outside {@code [position, limit)}, which is exactly the
 * range the caller checked against the {@link MemoryRegistry}.</li>
 * </ul>
 * All buffers are little-endian. Confined to one thread (the I/O thread that owns the connection).
 */
public final class MemoryWindow {

    static final int VIEWS = 8;
    private static final int SPAN_SHIFT = 30;
    private static final long SPAN_MASK = -1L << SPAN_SHIFT;

    /** Unsafe: the buffer re-pointed at every range. Foreign: an empty buffer, the window's state after {@link #clear}. */
    private final ByteBuffer home = ByteBuffer.allocateDirect(0).order(ByteOrder.LITTLE_ENDIAN);
    private ByteBuffer current = home;

    // java.lang.foreign: views[i] covers [starts[i], ends[i])
    private final long[] starts;
    private final long[] ends;
    private final ByteBuffer[] views;
    private int count;
    private int last;
    private int victim;
    private long viewsMade;

    public MemoryWindow() {
        boolean cached = NativeMemory.FOREIGN;
        starts = cached ? new long[VIEWS] : null;
        ends = cached ? new long[VIEWS] : null;
        views = cached ? new ByteBuffer[VIEWS] : null;
    }

    /**
     * Points the window at {@code [address, address + length)}: {@code length} bytes remain from the
     * position. {@code length} is at most {@link NativeMemory#MAX_VIEW}.
     */
    public ByteBuffer point(long address, int length) {
        if (!NativeMemory.FOREIGN) {
            UnsafeAccess.point(home, address, length);
            return home;
        }
        int i = last;
        if (i >= count || address < starts[i] || address + length > ends[i]) {
            i = find(address, length);
        }
        ByteBuffer v = views[i];
        int offset = (int) (address - starts[i]);
        v.limit(offset + length);
        v.position(offset);
        last = i;
        current = v;
        return v;
    }

    private int find(long address, int length) {
        for (int i = 0; i < count; i++) {
            if (address >= starts[i] && address + length <= ends[i]) {
                return i;
            }
        }
        long start = address & SPAN_MASK;
        long capacity = NativeMemory.MAX_VIEW;
        if (address + length > start + capacity) {
            start = address; // about 1 GiB or more: a view of exactly this range
            capacity = length;
        }
        int i = count < VIEWS ? count++ : victim++ % VIEWS;
        views[i] = ForeignAccess.view(start, capacity).order(ByteOrder.LITTLE_ENDIAN);
        starts[i] = start;
        ends[i] = start + capacity;
        viewsMade++;
        return i;
    }

    /** The buffer as last pointed (empty before the first {@link #point} and after {@link #clear}). */
    public ByteBuffer buffer() {
        return current;
    }

    /** Points the window at nothing, so a stale view cannot be used by mistake. */
    public void clear() {
        if (NativeMemory.FOREIGN) {
            current = home;
        } else {
            UnsafeAccess.point(home, 0, 0);
        }
    }

    /** Views created so far (java.lang.foreign backend; always 0 on the Unsafe one). For tests. */
    long viewsMade() {
        return viewsMade;
    }
}
