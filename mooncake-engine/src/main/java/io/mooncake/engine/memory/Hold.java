package io.mooncake.engine.memory;

/** A use of memory that keeps it from being unregistered or unmapped until released. */
@FunctionalInterface
public interface Hold {

    /** Ends the use. */
    void release();
}
