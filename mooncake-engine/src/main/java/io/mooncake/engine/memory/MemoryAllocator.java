package io.mooncake.engine.memory;

/**
 * Allocates memory the engine registers for the caller ({@code allocateBuffer},
 * {@code allocateManagedBuffer}, the Spring Boot global segment). The engine's default gives
 * private host memory; a transport can offer a better one for host memory (shared memory that
 * same-host peers can map), and device modules offer allocators for their locations
 * ({@code cuda:N}).
 */
public interface MemoryAllocator {

    /** A short name for logs, e.g. "host", "shared (/dev/shm)". */
    String name();

    /** Whether this allocator serves a location such as {@code cpu:0}, {@code cuda:1} or {@code *}. */
    boolean serves(String location);

    /**
     * Allocates {@code length} zeroed bytes for {@code location}.
     *
     * @throws io.mooncake.engine.api.MooncakeException (MEMORY) naming the size, the reason and the fix
     */
    Allocation allocate(long length, String location);

    /** Private host memory from the C heap (zeroed). */
    static MemoryAllocator host() {
        return HostAllocator.INSTANCE;
    }
}
