package io.mooncake.engine.api;

/**
 * Status of one request: its state, the bytes moved so far and, for a request that did not
 * complete, why.
 *
 * @param state the request's state
 * @param transferredBytes bytes confirmed so far
 * @param failureReason why the request ended FAILED, TIMEOUT or CANCELED; {@code null} otherwise
 */
public record TransferStatus(TransferState state, long transferredBytes, String failureReason) {
}
