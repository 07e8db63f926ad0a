package io.mooncake.engine.api;

/** Direction of a transfer request, with the reference engine's ordinals (READ = 0, WRITE = 1). */
public enum OpCode {
    /** Copy from the remote segment into local memory. */
    READ,
    /** Copy from local memory into the remote segment. */
    WRITE
}
