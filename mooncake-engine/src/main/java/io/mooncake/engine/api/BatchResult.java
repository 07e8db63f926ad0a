package io.mooncake.engine.api;

import java.util.List;

/**
 * The final state of every request of a batch.
 *
 * @param batchId the batch id
 * @param statuses one per request, in submission order
 */
public record BatchResult(long batchId, List<TransferStatus> statuses) {

    public BatchResult {
        statuses = List.copyOf(statuses);
    }

    /** Whether every request ended COMPLETED. */
    public boolean allCompleted() {
        for (TransferStatus s : statuses) {
            if (s.state() != TransferState.COMPLETED) {
                return false;
            }
        }
        return true;
    }

    /** The first request that did not complete, or {@code null}. */
    public TransferStatus firstFailure() {
        for (TransferStatus s : statuses) {
            if (s.state() != TransferState.COMPLETED) {
                return s;
            }
        }
        return null;
    }
}
