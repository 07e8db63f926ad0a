package io.mooncake.engine.memory;

/**
 * What kind of memory a registered region is, which decides who may copy it and how.
 *
 * <p>The engine dereferences only {@link #isHostAccessible() host-accessible} memory; a
 * {@link #DEVICE} region is touched only by transports that say they carry device memory
 * (a GPU-aware transport, or a bounce path that copies through pinned host memory).
 */
public enum MemoryKind {
    /** Private host memory of this process (malloc, a direct ByteBuffer). */
    HOST(true),
    /** Host memory in a named shared mapping (a file in /dev/shm) that same-host peers can map. */
    SHARED(true),
    /** Host memory mapped from a file or block device. */
    FILE(true),
    /** Accelerator memory ({@code cuda:N}, {@code hip:N}, {@code npu:N}, {@code mlu:N}): not addressable by the CPU. */
    DEVICE(false);

    private final boolean hostAccessible;

    MemoryKind(boolean hostAccessible) {
        this.hostAccessible = hostAccessible;
    }

    /** Whether the CPU may read and write the memory directly (memcpy, sockets). */
    public boolean isHostAccessible() {
        return hostAccessible;
    }

    /**
     * The kind a caller-provided region has, judged from its location: {@code cuda:}, {@code hip:},
     * {@code npu:}, {@code mlu:} and {@code musa:} name device memory; anything else is host memory.
     */
    public static MemoryKind ofLocation(String location) {
        if (location != null) {
            int colon = location.indexOf(':');
            String prefix = colon < 0 ? location : location.substring(0, colon);
            switch (prefix) {
                case "cuda", "hip", "npu", "mlu", "musa", "gpu":
                    return DEVICE;
                default:
                    break;
            }
        }
        return HOST;
    }
}
