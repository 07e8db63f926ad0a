package io.mooncake.engine.stats;

import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.TransferState;

/**
 * Told about every request that ends, on the thread that ended it (an I/O or timer thread):
 * implementations must be cheap and must not block. Metrics bind here; the engine itself keeps
 * {@link TransferStats}.
 */
public interface TransferListener {

    /**
     * A request ended.
     *
     * @param protocol the transport that carried it ({@code local} for same-process copies)
     * @param peer the target segment name
     * @param op READ or WRITE
     * @param bytes the request's length
     * @param outcome COMPLETED, FAILED, TIMEOUT or CANCELED
     * @param latencyNanos time from submission to the end
     */
    void onTransfer(String protocol, String peer, OpCode op, long bytes, TransferState outcome, long latencyNanos);

    /** A listener that ignores everything. */
    static TransferListener disabled() {
        return (protocol, peer, op, bytes, outcome, latencyNanos) -> {
        };
    }
}
