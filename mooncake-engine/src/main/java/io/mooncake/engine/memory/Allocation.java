package io.mooncake.engine.memory;

/**
 * Memory an allocator handed out: where it is, how long, what kind, and how to give it back.
 * The engine registers it as a region whose owner is this allocation, so a transport can ask the
 * owner for what it needs (a shared mapping's name, a device pointer's IPC handle).
 */
public interface Allocation extends AutoCloseable {

    /** First byte (a host virtual address, or a device pointer for {@link MemoryKind#DEVICE}). */
    long address();

    /** Bytes. */
    long length();

    /** What kind of memory it is. */
    MemoryKind kind();

    /** Frees the memory; the engine calls this once no transfer uses it any more. Idempotent. */
    @Override
    void close();
}
