package io.mooncake.engine.stats;

import io.mooncake.engine.api.TransferState;

/**
 * Why a request did not complete, in a few categories fit for a metric tag. The engine passes one
 * to {@link TransferListener#onTransfer(String, String, io.mooncake.engine.api.OpCode, long, TransferState,
 * FailureKind, long)} with every ended request; {@link #NONE} for COMPLETED ones.
 */
public enum FailureKind {
    /** The request completed. */
    NONE,
    /** The peer refused the request (its range is not registered or not remote-accessible there). */
    PEER_REJECTED,
    /** The transport could not reach the peer, or lost the connection while the request ran. */
    CONNECTION,
    /** The request's deadline passed ({@code transferTimeout}, or the caller stopped waiting). */
    TIMEOUT,
    /** The caller canceled the batch or was interrupted while waiting. */
    CANCELED,
    /** The target range lies outside every buffer the target segment publishes. */
    NOT_FOUND,
    /** No running transport can reach the target (it publishes a protocol this node does not run). */
    NO_TRANSPORT,
    /** A local error: the local range was unregistered during submission, or the transport refused the task. */
    LOCAL;

    private static final FailureKind[] VALUES = values();

    /** The category a request ending in {@code state} gets when nobody names one. */
    public static FailureKind of(TransferState state) {
        switch (state) {
            case COMPLETED:
                return NONE;
            case TIMEOUT:
                return TIMEOUT;
            case CANCELED:
                return CANCELED;
            default:
                return CONNECTION;
        }
    }

    /** All categories; the shared array, do not modify. */
    static FailureKind[] all() {
        return VALUES;
    }
}
