package io.mooncake.engine.memory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A reusable direct {@link ByteBuffer} that is pointed at a different native range for each
 * slice, so socket reads and writes go straight to registered memory without allocating.
 *
 * <p>Confined to one thread (the I/O thread that owns the connection).
 */
public final class MemoryWindow {

    private final ByteBuffer buffer = ByteBuffer.allocateDirect(0).order(ByteOrder.LITTLE_ENDIAN);

    /** Points the window at {@code [address, address + length)}; position 0, limit {@code length}. */
    public ByteBuffer point(long address, int length) {
        NativeMemory.point(buffer, address, length);
        return buffer;
    }

    /** The buffer as last pointed. */
    public ByteBuffer buffer() {
        return buffer;
    }

    /** Points the window at nothing, so a stale view cannot be used by mistake. */
    public void clear() {
        NativeMemory.point(buffer, 0, 0);
    }
}
