package io.mooncake.engine.api;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A submitted batch of requests. Each request ends COMPLETED, FAILED, TIMEOUT or CANCELED; the
 * {@link #completion() future} completes (never exceptionally) once all of them have.
 *
 * <p>Thread-safe. Completion runs on an engine I/O or timer thread: do not block in callbacks,
 * use the {@code *Async} forms with your own executor.
 */
public interface Batch {

    /** The batch id, usable with the reference-style polling calls. */
    long id();

    /** Number of requests submitted so far. */
    int size();

    /** The current status of request {@code taskId} (0-based, submission order). */
    TransferStatus status(int taskId);

    /** Completes when every request has ended. */
    CompletableFuture<BatchResult> completion();

    /** Ends every request that has not ended yet as CANCELED. */
    void cancel();

    /**
     * Waits at most {@code timeout} for the batch; on expiry, requests still running end TIMEOUT.
     *
     * @return the final result
     */
    BatchResult await(Duration timeout);
}
