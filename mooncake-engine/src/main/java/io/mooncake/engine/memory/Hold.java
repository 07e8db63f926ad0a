package io.mooncake.engine.memory;

/** A use of memory that keeps it from being unregistered or unmapped until released. */
@FunctionalInterface
public interface Hold {

    /** Ends the use. */
    void release();

    /**
     * Whether the memory is still worth touching for its owner (a peer's mapping whose process
     * died is not): checked before each copy; {@code true} unless the holder knows better.
     */
    default boolean valid() {
        return true;
    }
}
