package io.mooncake.engine.batch;

/** Why a running task was ended before its slices did, which decides how a transport abandons them. */
public enum CancelCause {
    /**
     * The caller gave up: {@code Batch.cancel()}, an interrupted wait, or its own
     * {@code Batch.await(timeout)} expiring. Not evidence about the peer: drop the task's slices
     * that have not left yet and keep connections up.
     */
    CALLER,
    /**
     * The batch's own deadline ({@code transferTimeout} plus 1 ns per byte) passed with slices
     * outstanding: the peer or the path did not answer in time. A transport may close the
     * connections that carry the task's outstanding slices so they end and release memory.
     */
    DEADLINE
}
